/**
 * The configuration schema a runner has until it reports its own (behaviour.md §5): the four
 * SCMs with their public hosts, OAuth callback URLs on this server and PAT guidance, and the
 * environment-class fields every runner understands.
 */
import { create } from "@bufbuild/protobuf";
import {
  type RunnerConfigurationSchema,
  RunnerConfigurationSchemaSchema,
  RunnerProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";

interface ScmDefaults {
  id: string;
  name: string;
  host: string;
  patDescription: string;
  patDocs: string;
}

const scms: ScmDefaults[] = [
  {
    id: "github",
    name: "GitHub",
    host: "github.com",
    patDescription: "A fine-grained or classic personal access token with the repo and read:user scopes.",
    patDocs:
      "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
  },
  {
    id: "gitlab",
    name: "GitLab",
    host: "gitlab.com",
    patDescription: "A personal access token with the api and read_repository scopes.",
    patDocs: "https://docs.gitlab.com/user/profile/personal_access_tokens/",
  },
  {
    id: "bitbucket",
    name: "Bitbucket",
    host: "bitbucket.org",
    patDescription: "An API token or app password with repository read and write permissions.",
    patDocs: "https://support.atlassian.com/bitbucket-cloud/docs/api-tokens/",
  },
  {
    id: "azuredevops",
    name: "Azure DevOps",
    host: "dev.azure.com",
    patDescription: "A personal access token with the Code (Read & write) scope.",
    patDocs:
      "https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate",
  },
];

export function defaultSchema(provider: RunnerProvider | undefined, publicUrl: string): RunnerConfigurationSchema {
  // Local runners run on a developer's machine: smaller defaults than cloud runners.
  const local =
    provider === RunnerProvider.LINUX_HOST ||
    provider === RunnerProvider.DESKTOP_MAC ||
    provider === RunnerProvider.DEV_AGENT;
  return create(RunnerConfigurationSchemaSchema, {
    version: "runnerplane-default-1",
    environmentClasses: [
      {
        id: "cpu",
        name: "CPU cores",
        description: "Number of CPU cores of an environment.",
        required: true,
        type: { case: "int", value: { default: local ? 2 : 4, min: 1, max: 128 } },
      },
      {
        id: "memory",
        name: "Memory (MiB)",
        description: "Memory of an environment in MiB.",
        required: true,
        type: { case: "int", value: { default: local ? 4096 : 8192, min: 256, max: 1_048_576 } },
      },
      {
        id: "disk",
        name: "Disk (GiB)",
        description: "Disk size of an environment in GiB.",
        required: false,
        type: { case: "int", value: { default: local ? 30 : 50, min: 1, max: 16_384 } },
      },
    ],
    scm: scms.map((s) => ({
      scmId: s.id,
      name: s.name,
      defaultHosts: [s.host],
      oauth: { callbackUrl: `${publicUrl}/auth/oauth2/callback` },
      pat: { description: s.patDescription, docsLink: s.patDocs },
    })),
  });
}
