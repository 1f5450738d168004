/** The configuration schema the reference runner reports: the SCMs it speaks, the environment-class fields it needs. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RunnerConfigurationSchemaSchema } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";

export interface ScmInfo {
  id: "github" | "gitlab" | "bitbucket" | "azuredevops";
  name: string;
  host: string;
  patCreateUrl: (host: string) => string;
  patDocsUrl: string;
  patScopes: string[];
}

export const scms: ScmInfo[] = [
  {
    id: "github",
    name: "GitHub",
    host: "github.com",
    patCreateUrl: (host) => `https://${host}/settings/tokens/new?scopes=repo,read:user`,
    patDocsUrl:
      "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
    patScopes: ["repo", "read:user"],
  },
  {
    id: "gitlab",
    name: "GitLab",
    host: "gitlab.com",
    patCreateUrl: (host) => `https://${host}/-/user_settings/personal_access_tokens?scopes=api,read_repository`,
    patDocsUrl: "https://docs.gitlab.com/user/profile/personal_access_tokens/",
    patScopes: ["api", "read_repository"],
  },
  {
    id: "bitbucket",
    name: "Bitbucket",
    host: "bitbucket.org",
    patCreateUrl: () => "https://bitbucket.org/account/settings/api-tokens/",
    patDocsUrl: "https://support.atlassian.com/bitbucket-cloud/docs/api-tokens/",
    patScopes: ["read:repository:bitbucket"],
  },
  {
    id: "azuredevops",
    name: "Azure DevOps",
    host: "dev.azure.com",
    patCreateUrl: () => "https://dev.azure.com/_usersSettings/tokens",
    patDocsUrl:
      "https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate",
    patScopes: ["vso.code"],
  },
];

export function runnerSchema(serverUrl: string): MessageInitShape<typeof RunnerConfigurationSchemaSchema> {
  return {
    version: "reference-runner-1",
    environmentClasses: [
      { id: "cpu", name: "CPU cores", required: true, type: { case: "int", value: { default: 2, min: 1, max: 64 } } },
      {
        id: "memory",
        name: "Memory (MiB)",
        required: true,
        type: { case: "int", value: { default: 4096, min: 256, max: 262_144 } },
      },
      {
        id: "disk",
        name: "Disk (GiB)",
        required: false,
        type: { case: "int", value: { default: 30, min: 1, max: 4096 } },
      },
    ],
    scm: scms.map((s) => ({
      scmId: s.id,
      name: s.name,
      defaultHosts: [s.host],
      // One callback for every SCM and runner: the server is the gateway (docs/scm-oauth.md).
      oauth: { callbackUrl: `${serverUrl}/auth/oauth2/callback` },
      pat: { description: `A personal access token with ${s.patScopes.join(", ")}`, docsLink: s.patDocsUrl },
    })),
  };
}
