/**
 * Field rules of the gitpod.v1 contract (see proto/runnerplane/validate/v1/validate.proto),
 * checked on real request messages with protovalidate's semantics.
 */
import { create, createFileRegistry, type DescMessage, type MessageInitShape, setExtension } from "@bufbuild/protobuf";
import {
  DurationSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_duration,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import {
  AuditLogEntryDetailsSchema,
  GetAuditLogRequestSchema,
  ResourceType,
} from "@runnerplane/api/gitpod/v1/event_pb";
import { ListGroupsRequestSchema } from "@runnerplane/api/gitpod/v1/group_pb";
import { file_gitpod_v1_identity, Principal, SubjectSchema } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  CreateSSOConfigurationRequestSchema,
  GetOrganizationRequestSchema,
  JoinOrganizationRequestSchema,
  UpdateOrganizationRequestSchema,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import {
  CreateHostAuthenticationTokenRequestSchema,
  HostAuthenticationTokenSource,
  RunnerKind,
  RunnerProvider,
  ValidateRunnerConfigurationRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  CallValidateConfig_RequestSchema,
  SendResponseRequestSchema,
  SignupRequestSchema,
  UpdateRunnerStatusRequestSchema,
  WatchRequestsRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import {
  CreateRunnerRequestSchema,
  GetRunnerRequestSchema,
  ListRunnersRequestSchema,
  ParseContextURLRequestSchema,
  SearchRepositoriesRequestSchema,
  UpdateRunnerRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import {
  CreateServiceAccountRequestSchema,
  CreateServiceAccountTokenRequestSchema,
} from "@runnerplane/api/gitpod/v1/service_account_pb";
import { CreatePersonalAccessTokenRequestSchema } from "@runnerplane/api/gitpod/v1/user_pb";
import { FieldRulesSchema, field as fieldRules } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { describe, expect, it } from "vitest";
import { subjectMapHolder } from "../testing/index.js";
import { validateFields, validateMessage } from "./validate.js";

const runnerId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";
const otherId = "0b7e5c1a-2d3f-4a5b-8c9d-0e1f2a3b4c5d";

/** The violated (field, rule) pairs, in reporting order. */
function broken(desc: DescMessage, message: object): [string, string][] {
  return validateMessage(desc, message).map((v) => [v.field, v.rule]);
}

function createRunner(init: MessageInitShape<typeof CreateRunnerRequestSchema>) {
  return create(CreateRunnerRequestSchema, { name: "my runner", provider: RunnerProvider.AWS_EC2, ...init });
}

describe("validateMessage", () => {
  describe("uuid", () => {
    it("rejects an empty runner_id, because an implicit string is checked at its zero value", () => {
      expect(validateMessage(GetRunnerRequestSchema, create(GetRunnerRequestSchema))).toEqual([
        { field: "runner_id", rule: "string.uuid", message: "value must be a valid UUID" },
      ]);
    });

    it.each(["not-a-uuid", `${runnerId}0`, runnerId.replaceAll("-", ""), `{${runnerId}}`, ` ${runnerId}`])(
      "rejects the malformed runner_id %j",
      (value) => {
        expect(broken(GetRunnerRequestSchema, create(GetRunnerRequestSchema, { runnerId: value }))).toEqual([
          ["runner_id", "string.uuid"],
        ]);
      },
    );

    it("accepts a canonical UUID in lower or upper case", () => {
      for (const value of [runnerId, runnerId.toUpperCase()]) {
        expect(validateMessage(GetRunnerRequestSchema, create(GetRunnerRequestSchema, { runnerId: value }))).toEqual(
          [],
        );
      }
    });
  });

  describe("ignore_empty", () => {
    it("accepts an empty runner_manager_id", () => {
      expect(broken(CreateRunnerRequestSchema, createRunner({ runnerManagerId: "" }))).toEqual([]);
    });

    it("still applies the rules to a non-empty runner_manager_id", () => {
      expect(broken(CreateRunnerRequestSchema, createRunner({ runnerManagerId: "nope" }))).toEqual([
        ["runner_manager_id", "string.uuid"],
      ]);
      expect(broken(CreateRunnerRequestSchema, createRunner({ runnerManagerId: otherId }))).toEqual([]);
    });
  });

  describe("min_len and max_len", () => {
    it("rejects a name shorter than 3 characters and accepts 3", () => {
      expect(validateMessage(CreateRunnerRequestSchema, createRunner({ name: "ab" }))).toEqual([
        { field: "name", rule: "string.min_len", message: "value length must be at least 3 characters" },
      ]);
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: "abc" }))).toEqual([]);
    });

    it("rejects an empty name, because an implicit string is checked at its zero value", () => {
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: "" }))).toEqual([["name", "string.min_len"]]);
    });

    it("counts characters, not bytes or UTF-16 units", () => {
      const emoji = "😀"; // 1 code point, 2 UTF-16 units, 4 UTF-8 bytes
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: emoji.repeat(127) }))).toEqual([]);
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: "é".repeat(3) }))).toEqual([]);
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: emoji.repeat(2) }))).toEqual([
        ["name", "string.min_len"],
      ]);
    });

    it("accepts 127 characters and rejects 128", () => {
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: "x".repeat(127) }))).toEqual([]);
      expect(validateMessage(CreateRunnerRequestSchema, createRunner({ name: "x".repeat(128) }))).toEqual([
        { field: "name", rule: "string.max_len", message: "value length must be at most 127 characters" },
      ]);
      expect(broken(CreateRunnerRequestSchema, createRunner({ name: "😀".repeat(128) }))).toEqual([
        ["name", "string.max_len"],
      ]);
    });
  });

  describe("optional fields", () => {
    it("skips the rules of an absent optional name", () => {
      const req = create(UpdateRunnerRequestSchema, { runnerId });
      expect(req.name).toBeUndefined();
      expect(broken(UpdateRunnerRequestSchema, req)).toEqual([]);
    });

    it("applies the rules to an optional name that is set, even to the empty string", () => {
      expect(broken(UpdateRunnerRequestSchema, create(UpdateRunnerRequestSchema, { runnerId, name: "" }))).toEqual([
        ["name", "string.min_len"],
      ]);
      expect(broken(UpdateRunnerRequestSchema, create(UpdateRunnerRequestSchema, { runnerId, name: "ab" }))).toEqual([
        ["name", "string.min_len"],
      ]);
      expect(broken(UpdateRunnerRequestSchema, create(UpdateRunnerRequestSchema, { runnerId, name: "abc" }))).toEqual(
        [],
      );
    });
  });

  describe("enum defined_only", () => {
    it("rejects an undeclared kind number", () => {
      expect(validateMessage(CreateRunnerRequestSchema, createRunner({ kind: 99 as RunnerKind }))).toEqual([
        { field: "kind", rule: "enum.defined_only", message: "value must be one of the defined enum values" },
      ]);
    });

    it("accepts every declared kind, including UNSPECIFIED", () => {
      for (const kind of [
        RunnerKind.UNSPECIFIED,
        RunnerKind.LOCAL,
        RunnerKind.REMOTE,
        RunnerKind.LOCAL_CONFIGURATION,
      ]) {
        expect(broken(CreateRunnerRequestSchema, createRunner({ kind }))).toEqual([]);
      }
    });

    it("rejects an undeclared number inside a list of kinds, naming its index", () => {
      const req = create(ListRunnersRequestSchema, {
        filter: { kinds: [RunnerKind.REMOTE, 99 as RunnerKind, RunnerKind.LOCAL] },
      });
      expect(broken(ListRunnersRequestSchema, req)).toEqual([["filter.kinds[1]", "enum.defined_only"]]);
    });

    it("accepts lists of declared kinds and providers", () => {
      const req = create(ListRunnersRequestSchema, {
        filter: {
          kinds: [RunnerKind.REMOTE, RunnerKind.LOCAL_CONFIGURATION],
          providers: [RunnerProvider.GCP, RunnerProvider.DEV_AGENT],
        },
      });
      expect(broken(ListRunnersRequestSchema, req)).toEqual([]);
    });

    it("rejects an undeclared provider in a list", () => {
      const req = create(ListRunnersRequestSchema, { filter: { providers: [42 as RunnerProvider] } });
      expect(broken(ListRunnersRequestSchema, req)).toEqual([["filter.providers[0]", "enum.defined_only"]]);
    });
  });

  describe("repeated fields", () => {
    const ids = (n: number) => Array.from({ length: n }, () => runnerId);

    it("accepts 25 creator_ids and rejects 26 with max_items", () => {
      const ok = create(ListRunnersRequestSchema, { filter: { creatorIds: ids(25) } });
      expect(broken(ListRunnersRequestSchema, ok)).toEqual([]);
      const tooMany = create(ListRunnersRequestSchema, { filter: { creatorIds: ids(26) } });
      expect(validateMessage(ListRunnersRequestSchema, tooMany)).toEqual([
        {
          field: "filter.creator_ids",
          rule: "repeated.max_items",
          message: "value must contain no more than 25 item(s)",
        },
      ]);
    });

    it("checks every item and names each offending index", () => {
      const req = create(ListRunnersRequestSchema, { filter: { creatorIds: ["bad", runnerId, "", otherId, "x"] } });
      expect(broken(ListRunnersRequestSchema, req)).toEqual([
        ["filter.creator_ids[0]", "string.uuid"],
        ["filter.creator_ids[2]", "string.uuid"],
        ["filter.creator_ids[4]", "string.uuid"],
      ]);
    });

    it("accepts an empty list and an absent filter", () => {
      expect(broken(ListRunnersRequestSchema, create(ListRunnersRequestSchema, { filter: {} }))).toEqual([]);
      expect(broken(ListRunnersRequestSchema, create(ListRunnersRequestSchema))).toEqual([]);
    });

    it("applies integer item bounds to scalar lists", () => {
      const req = create(WatchRequestsRequestSchema, { runnerId, shardIds: [0, 63, 64, -1] });
      expect(broken(WatchRequestsRequestSchema, req)).toEqual([
        ["shard_ids[2]", "int32.lte"],
        ["shard_ids[3]", "int32.gte"],
      ]);
    });
  });

  describe("integer gte and lte", () => {
    const withPageSize = (pageSize: number) => create(ListRunnersRequestSchema, { pagination: { pageSize } });

    it("rejects a negative page_size", () => {
      expect(validateMessage(ListRunnersRequestSchema, withPageSize(-1))).toEqual([
        {
          field: "pagination.page_size",
          rule: "int32.gte",
          message: "value must be greater than or equal to 0",
        },
      ]);
    });

    it("accepts 0 and 100", () => {
      expect(broken(ListRunnersRequestSchema, withPageSize(0))).toEqual([]);
      expect(broken(ListRunnersRequestSchema, withPageSize(100))).toEqual([]);
    });

    it("rejects 101", () => {
      expect(validateMessage(ListRunnersRequestSchema, withPageSize(101))).toEqual([
        {
          field: "pagination.page_size",
          rule: "int32.lte",
          message: "value must be less than or equal to 100",
        },
      ]);
    });
  });

  describe("SearchRepositoriesRequest.limit (deprecated; ignore_empty, 1 to 100 when set)", () => {
    const search = (limit?: number) =>
      create(SearchRepositoriesRequestSchema, { runnerId, ...(limit === undefined ? {} : { limit }) });

    it("accepts an absent or zero limit: 0 means unset (behaviour.md §7)", () => {
      expect(broken(SearchRepositoriesRequestSchema, search())).toEqual([]);
      expect(broken(SearchRepositoriesRequestSchema, search(0))).toEqual([]);
    });

    it("accepts 1 and 100", () => {
      expect(broken(SearchRepositoriesRequestSchema, search(1))).toEqual([]);
      expect(broken(SearchRepositoriesRequestSchema, search(100))).toEqual([]);
    });

    it("rejects a negative limit and one over 100", () => {
      expect(broken(SearchRepositoriesRequestSchema, search(-1))).toEqual([["limit", "int32.gte"]]);
      expect(broken(SearchRepositoriesRequestSchema, search(101))).toEqual([["limit", "int32.lte"]]);
    });
  });

  describe("bytes len", () => {
    const signup = (n: number) => create(SignupRequestSchema, { publicKey: new Uint8Array(n).fill(7) });

    it("accepts exactly 32 bytes", () => {
      expect(broken(SignupRequestSchema, signup(32))).toEqual([]);
    });

    it("rejects 31 and 33 bytes", () => {
      expect(validateMessage(SignupRequestSchema, signup(31))).toEqual([
        { field: "public_key", rule: "bytes.len", message: "value length must be 32 bytes" },
      ]);
      expect(broken(SignupRequestSchema, signup(33))).toEqual([["public_key", "bytes.len"]]);
    });

    it("rejects empty bytes, because an implicit bytes field is checked at its zero value", () => {
      expect(broken(SignupRequestSchema, create(SignupRequestSchema))).toEqual([["public_key", "bytes.len"]]);
    });
  });

  describe("uri", () => {
    const parse = (contextUrl: string) => create(ParseContextURLRequestSchema, { contextUrl });

    it.each([
      "https://github.com/owner/repo/pull/1",
      "http://localhost:8080/x?y=z#frag",
      "git+ssh://git@example.com/repo.git",
      "https://xn--r8jz45g.jp/%E4%BE%8B",
    ])("accepts the absolute URI %j", (url) => {
      expect(broken(ParseContextURLRequestSchema, parse(url))).toEqual([]);
    });

    it.each([
      "not a url",
      "",
      "http://exa mple.com",
      "github.com/owner/repo",
      "/relative/path",
      "https://a\tb",
      "https://例え.jp",
      "https://e.com/100%",
      "https://e.com/<x>",
    ])("rejects %j", (url) => {
      expect(validateMessage(ParseContextURLRequestSchema, parse(url))).toEqual([
        { field: "context_url", rule: "string.uri", message: "value must be a valid absolute URI" },
      ]);
    });

    it("skips an empty runner_id (ignore_empty) next to a uri field", () => {
      expect(broken(ParseContextURLRequestSchema, parse("https://example.com"))).toEqual([]);
    });
  });

  describe("required", () => {
    it("names the full path of an empty required field of a nested message", () => {
      const req = create(UpdateRunnerStatusRequestSchema, {
        runnerId,
        gatewayInfo: { gateway: { name: "", url: "https://gw.example.com" } },
      });
      expect(validateMessage(UpdateRunnerStatusRequestSchema, req)).toEqual([
        { field: "gateway_info.gateway.name", rule: "required", message: "value is required" },
      ]);
    });

    it("reports every missing required field of the nested message", () => {
      const req = create(UpdateRunnerStatusRequestSchema, { runnerId, gatewayInfo: { gateway: {} } });
      expect(broken(UpdateRunnerStatusRequestSchema, req)).toEqual([
        ["gateway_info.gateway.name", "required"],
        ["gateway_info.gateway.url", "required"],
      ]);
    });

    it("does not reach into nested messages that are absent", () => {
      expect(broken(UpdateRunnerStatusRequestSchema, create(UpdateRunnerStatusRequestSchema, { runnerId }))).toEqual(
        [],
      );
      const noGateway = create(UpdateRunnerStatusRequestSchema, { runnerId, gatewayInfo: {} });
      expect(broken(UpdateRunnerStatusRequestSchema, noGateway)).toEqual([]);
    });

    it("accepts a complete nested message", () => {
      const req = create(UpdateRunnerStatusRequestSchema, {
        runnerId,
        gatewayInfo: { gateway: { name: "eu-1", url: "https://gw.example.com" } },
      });
      expect(broken(UpdateRunnerStatusRequestSchema, req)).toEqual([]);
    });
  });

  describe("explicit-presence scalars in nested messages", () => {
    it("checks an optional uri only when it is set", () => {
      const absent = create(UpdateRunnerStatusRequestSchema, { runnerId });
      expect(broken(UpdateRunnerStatusRequestSchema, absent)).toEqual([]);
      const bad = create(UpdateRunnerStatusRequestSchema, { runnerId, logUrl: "not a url" });
      expect(broken(UpdateRunnerStatusRequestSchema, bad)).toEqual([["log_url", "string.uri"]]);
      const empty = create(UpdateRunnerStatusRequestSchema, { runnerId, logUrl: "" });
      expect(broken(UpdateRunnerStatusRequestSchema, empty)).toEqual([["log_url", "string.uri"]]);
    });
  });

  describe("oneof members", () => {
    it("validates the environment_class case of CallValidateConfig.Request", () => {
      const req = create(CallValidateConfig_RequestSchema, {
        config: { case: "environmentClass", value: { displayName: "xy", description: "a description" } },
      });
      expect(broken(CallValidateConfig_RequestSchema, req)).toEqual([
        ["environment_class.display_name", "string.min_len"],
      ]);
    });

    it("ignores the rules of the members that are not the set case", () => {
      const req = create(CallValidateConfig_RequestSchema, {
        config: { case: "scm", value: { runnerId, scmId: "github", host: "github.com" } },
      });
      expect(broken(CallValidateConfig_RequestSchema, req)).toEqual([]);
    });

    it("checks the request's own fields next to an unset oneof", () => {
      const req = create(SendResponseRequestSchema, { runnerId, requestId: "nope" });
      expect(broken(SendResponseRequestSchema, req)).toEqual([["request_id", "string.uuid"]]);
    });
  });

  describe("CreateHostAuthenticationTokenRequest.subject", () => {
    const token = (subject?: { id?: string; principal?: Principal }) =>
      create(CreateHostAuthenticationTokenRequestSchema, {
        runnerId,
        host: "github.com",
        token: "secret",
        source: HostAuthenticationTokenSource.OAUTH,
        ...(subject ? { subject } : {}),
      });

    it("accepts an absent subject (ignore_empty on a message field)", () => {
      expect(broken(CreateHostAuthenticationTokenRequestSchema, token())).toEqual([]);
    });

    it("accepts a subject with an empty id (ignore_empty on the uuid)", () => {
      expect(broken(CreateHostAuthenticationTokenRequestSchema, token({ principal: Principal.USER }))).toEqual([]);
      expect(broken(CreateHostAuthenticationTokenRequestSchema, token({}))).toEqual([]);
    });

    it("rejects a subject with a malformed id", () => {
      expect(broken(CreateHostAuthenticationTokenRequestSchema, token({ id: "user-1" }))).toEqual([
        ["subject.id", "string.uuid"],
      ]);
    });

    it("rejects a subject with an undeclared principal", () => {
      expect(
        broken(CreateHostAuthenticationTokenRequestSchema, token({ id: otherId, principal: 77 as Principal })),
      ).toEqual([["subject.principal", "enum.defined_only"]]);
    });

    it("accepts a complete subject", () => {
      expect(
        broken(CreateHostAuthenticationTokenRequestSchema, token({ id: otherId, principal: Principal.USER })),
      ).toEqual([]);
    });
  });

  describe("map values", () => {
    // The contract has no map of messages with rules; a test-only type holds gitpod.v1.Subject values.
    const holder = subjectMapHolder();

    it("validates every map value, naming its key", () => {
      const message = create(holder, {
        subjects: {
          good: create(SubjectSchema, { id: otherId, principal: Principal.USER }),
          bad: create(SubjectSchema, { id: "nope", principal: 99 as Principal }),
        },
      });
      expect(broken(holder, message)).toEqual([
        ['subjects["bad"].id', "string.uuid"],
        ['subjects["bad"].principal', "enum.defined_only"],
      ]);
    });
  });

  describe("recursive message types", () => {
    // The contract has no recursive types; test-only ones reach gitpod.v1.Subject through a cycle.
    const message = (name: string, ...field: object[]) => ({ name, field });
    const messageField = (name: string, number: number, typeName: string) => ({
      name,
      number,
      type: FieldDescriptorProto_Type.MESSAGE,
      typeName,
      jsonName: name,
    });
    const registry = createFileRegistry(
      create(FileDescriptorProtoSchema, {
        name: "test/recursive.proto",
        package: "test.recursive",
        syntax: "proto3",
        dependency: ["gitpod/v1/identity.proto"],
        messageType: [
          // Node -> Node (self), Outer -> Inner -> Outer (mutual); each can hold a Subject.
          message(
            "Node",
            messageField("child", 1, ".test.recursive.Node"),
            messageField("subject", 2, ".gitpod.v1.Subject"),
          ),
          message(
            "Outer",
            messageField("inner", 1, ".test.recursive.Inner"),
            messageField("subject", 2, ".gitpod.v1.Subject"),
          ),
          message("Inner", messageField("outer", 1, ".test.recursive.Outer")),
        ],
      }),
      (name) => (name === "gitpod/v1/identity.proto" ? file_gitpod_v1_identity : undefined),
    );
    const get = (name: string) => {
      const desc = registry.getMessage(`test.recursive.${name}`);
      if (!desc) throw new Error(`test.recursive.${name} is missing`);
      return desc;
    };

    it("validates a self-referencing type at every depth", () => {
      const node = get("Node");
      const value = create(node, { child: { child: { subject: { id: "nope" } } }, subject: { id: otherId } });
      expect(broken(node, value)).toEqual([["child.child.subject.id", "string.uuid"]]);
    });

    it("validates mutually recursive types at every depth", () => {
      const outer = get("Outer");
      const value = create(outer, { inner: { outer: { inner: { outer: { subject: { id: "nope" } } } } } });
      expect(broken(outer, value)).toEqual([["inner.outer.inner.outer.subject.id", "string.uuid"]]);
    });
  });

  describe("ignore_empty on a repeated field", () => {
    // No repeated field of the contract has ignore_empty; a test-only one has it with min_items.
    const options = create(FieldOptionsSchema);
    setExtension(
      options,
      fieldRules,
      create(FieldRulesSchema, { ignoreEmpty: true, minItems: 2, items: { uuid: true } }),
    );
    const registry = createFileRegistry(
      create(FileDescriptorProtoSchema, {
        name: "test/ignore_empty.proto",
        package: "test.ignore_empty",
        syntax: "proto3",
        messageType: [
          {
            name: "Ids",
            field: [
              {
                name: "ids",
                number: 1,
                label: FieldDescriptorProto_Label.REPEATED,
                type: FieldDescriptorProto_Type.STRING,
                jsonName: "ids",
                options,
              },
            ],
          },
        ],
      }),
      () => undefined,
    );
    const ids = registry.getMessage("test.ignore_empty.Ids");
    if (!ids) throw new Error("test.ignore_empty.Ids is missing");

    it("skips the rules for an empty list", () => {
      expect(broken(ids, create(ids))).toEqual([]);
    });

    it("applies them to a non-empty list", () => {
      expect(broken(ids, create(ids, { ids: ["nope"] }))).toEqual([
        ["ids", "repeated.min_items"],
        ["ids[0]", "string.uuid"],
      ]);
      expect(broken(ids, create(ids, { ids: [runnerId, otherId] }))).toEqual([]);
    });
  });

  describe("a message whose validation is disabled: ValidateRunnerConfigurationRequest", () => {
    const request = (init: MessageInitShape<typeof ValidateRunnerConfigurationRequestSchema>) =>
      create(ValidateRunnerConfigurationRequestSchema, init);
    const brokenClass = request({
      runnerId: "not-a-uuid",
      config: { case: "environmentClass", value: { runnerId: "nope", displayName: "xy", description: "ab" } },
    });

    it("checks none of its rules, nor those of the environment class inside it", () => {
      expect(broken(ValidateRunnerConfigurationRequestSchema, brokenClass)).toEqual([]);
      expect(broken(ValidateRunnerConfigurationRequestSchema, request({}))).toEqual([]);
    });

    it("leaves the same nested type checked where it occurs elsewhere", () => {
      const elsewhere = create(CallValidateConfig_RequestSchema, {
        config: { case: "environmentClass", value: { displayName: "xy", description: "a description" } },
      });
      expect(broken(CallValidateConfig_RequestSchema, elsewhere)).toEqual([
        ["environment_class.display_name", "string.min_len"],
      ]);
    });

    it("validateFields still applies the declared rule of a named field, and only that", () => {
      expect(validateFields(ValidateRunnerConfigurationRequestSchema, brokenClass, ["runner_id"])).toEqual([
        { field: "runner_id", rule: "string.uuid", message: "value must be a valid UUID" },
      ]);
      const good = request({ runnerId, config: brokenClass.config });
      expect(validateFields(ValidateRunnerConfigurationRequestSchema, good, ["runner_id"])).toEqual([]);
      expect(() => validateFields(ValidateRunnerConfigurationRequestSchema, good, ["runnerId"])).toThrow(
        /has no field runnerId/,
      );
    });
  });

  describe("pattern and unique: the email domains of CreateSSOConfigurationRequest", () => {
    const request = (emailDomains: string[]) =>
      create(CreateSSOConfigurationRequestSchema, {
        organizationId: runnerId,
        clientId: "client",
        clientSecret: "secret",
        issuerUrl: "https://idp.example.com",
        emailDomains,
      });

    it("accepts domain names", () => {
      expect(broken(CreateSSOConfigurationRequestSchema, request(["example.com", "a-b.co.uk", "x1.io"]))).toEqual([]);
    });

    it.each([
      "example",
      "-bad.com",
      "bad-.com",
      "exa_mple.com",
      "example.c",
      "example.com.",
      "ex ample.com",
      "exämple.com",
    ])("rejects %j with string.pattern", (domain) => {
      expect(broken(CreateSSOConfigurationRequestSchema, request([domain]))).toContainEqual([
        "email_domains[0]",
        "string.pattern",
      ]);
    });

    it("names the pattern in the message, as protovalidate does", () => {
      expect(validateMessage(CreateSSOConfigurationRequestSchema, request(["example"]))).toEqual([
        {
          field: "email_domains[0]",
          rule: "string.pattern",
          message:
            "value does not match regex pattern `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,}$`",
        },
      ]);
    });

    it("checks the length rules of each item next to the pattern", () => {
      // Five labels of 60 characters: a well-formed domain of 308 characters, over the 253 allowed.
      const long = `${"a".repeat(60)}.`.repeat(5).concat("com");
      expect(broken(CreateSSOConfigurationRequestSchema, request([long]))).toEqual([
        ["email_domains[0]", "string.max_len"],
      ]);
    });

    it("rejects a domain listed twice with repeated.unique, once for the list", () => {
      expect(
        validateMessage(CreateSSOConfigurationRequestSchema, request(["example.com", "other.org", "example.com"])),
      ).toEqual([
        { field: "email_domains", rule: "repeated.unique", message: "repeated value must contain unique items" },
      ]);
    });

    it("applies the same rules to InviteDomains wherever it occurs", () => {
      const update = create(UpdateOrganizationRequestSchema, {
        organizationId: runnerId,
        inviteDomains: { domains: ["example.com", "nope", "example.com"] },
      });
      expect(broken(UpdateOrganizationRequestSchema, update)).toEqual([
        ["invite_domains.domains", "repeated.unique"],
        ["invite_domains.domains[1]", "string.pattern"],
      ]);
    });
  });

  describe("required together with uuid", () => {
    it("reports only required for an empty organization_id", () => {
      expect(validateMessage(GetOrganizationRequestSchema, create(GetOrganizationRequestSchema))).toEqual([
        { field: "organization_id", rule: "required", message: "value is required" },
      ]);
    });

    it("reports the uuid rule for a malformed one", () => {
      const req = create(GetOrganizationRequestSchema, { organizationId: "nope" });
      expect(broken(GetOrganizationRequestSchema, req)).toEqual([["organization_id", "string.uuid"]]);
      expect(broken(GetAuditLogRequestSchema, create(GetAuditLogRequestSchema, { auditLogEntryId: runnerId }))).toEqual(
        [],
      );
    });

    it("requires a message-typed field of a well-known type to be present", () => {
      const req = create(CreateServiceAccountRequestSchema, { name: "ci" });
      expect(broken(CreateServiceAccountRequestSchema, req)).toEqual([["valid_until", "required"]]);
      req.validUntil = create(TimestampSchema, { seconds: 1n });
      expect(broken(CreateServiceAccountRequestSchema, req)).toEqual([]);
    });
  });

  describe("enum not_in", () => {
    const request = (resourceType: ResourceType) =>
      create(ListGroupsRequestSchema, {
        filter: { excludeAssignedToResource: { resourceType, resourceId: runnerId } },
      });
    const path = "filter.exclude_assigned_to_resource.resource_type";

    it("rejects UNSPECIFIED, naming the list", () => {
      expect(validateMessage(ListGroupsRequestSchema, request(ResourceType.UNSPECIFIED))).toEqual([
        { field: path, rule: "enum.not_in", message: "value must not be in list [0]" },
      ]);
    });

    it("reports an undeclared number as defined_only only", () => {
      expect(broken(ListGroupsRequestSchema, request(999 as ResourceType))).toEqual([[path, "enum.defined_only"]]);
    });

    it("accepts a declared value, and an absent filter", () => {
      expect(broken(ListGroupsRequestSchema, request(ResourceType.RUNNER))).toEqual([]);
      expect(broken(ListGroupsRequestSchema, create(ListGroupsRequestSchema))).toEqual([]);
    });
  });

  describe("duration gte and lte", () => {
    const pat = (seconds: bigint, nanos = 0) =>
      create(CreatePersonalAccessTokenRequestSchema, {
        userId: runnerId,
        validFor: create(DurationSchema, { seconds, nanos }),
      });

    it("skips an absent duration, since a message field has explicit presence", () => {
      expect(
        broken(
          CreatePersonalAccessTokenRequestSchema,
          create(CreatePersonalAccessTokenRequestSchema, { userId: runnerId }),
        ),
      ).toEqual([]);
    });

    it("accepts the bounds themselves: 0s and 90 days", () => {
      expect(broken(CreatePersonalAccessTokenRequestSchema, pat(0n))).toEqual([]);
      expect(broken(CreatePersonalAccessTokenRequestSchema, pat(7_776_000n))).toEqual([]);
    });

    it("rejects a nanosecond over 90 days", () => {
      expect(validateMessage(CreatePersonalAccessTokenRequestSchema, pat(7_776_000n, 1))).toEqual([
        { field: "valid_for", rule: "duration.lte", message: "value must be less than or equal to 7776000s" },
      ]);
    });

    it("rejects a negative duration, in seconds or in nanoseconds only", () => {
      for (const negative of [pat(-1n), pat(0n, -1)]) {
        expect(validateMessage(CreatePersonalAccessTokenRequestSchema, negative)).toEqual([
          { field: "valid_for", rule: "duration.gte", message: "value must be greater than or equal to 0s" },
        ]);
      }
    });

    it("applies the service account token's own bound of 80 years", () => {
      const token = (seconds: bigint) =>
        create(CreateServiceAccountTokenRequestSchema, { validFor: create(DurationSchema, { seconds }) });
      expect(broken(CreateServiceAccountTokenRequestSchema, token(2_524_608_000n))).toEqual([]);
      expect(broken(CreateServiceAccountTokenRequestSchema, token(2_524_608_001n))).toEqual([
        ["valid_for", "duration.lte"],
      ]);
    });
  });

  describe("oneofs", () => {
    it("requires a member of a required oneof: AuditLogEntryDetails.payload", () => {
      expect(validateMessage(AuditLogEntryDetailsSchema, create(AuditLogEntryDetailsSchema))).toEqual([
        { field: "payload", rule: "required", message: "exactly one field is required in oneof" },
      ]);
    });

    it("validates the member that is set", () => {
      const details = create(AuditLogEntryDetailsSchema, {
        payload: { case: "vetoExec", value: { environmentId: runnerId, executable: "x".repeat(257) } },
      });
      expect(broken(AuditLogEntryDetailsSchema, details)).toEqual([
        ["veto_exec.executable", "string.max_len"],
        ["veto_exec.action", "enum.not_in"],
        ["veto_exec.process", "required"],
        ["veto_exec.timestamp", "required"],
      ]);
    });

    it("accepts a oneof that is not required left unset: JoinOrganizationRequest.join_id", () => {
      expect(broken(JoinOrganizationRequestSchema, create(JoinOrganizationRequestSchema))).toEqual([]);
      const bad = create(JoinOrganizationRequestSchema, { joinId: { case: "inviteId", value: "nope" } });
      expect(broken(JoinOrganizationRequestSchema, bad)).toEqual([["invite_id", "string.uuid"]]);
    });
  });

  describe("rule kinds on types the contract does not use them on", () => {
    // Test-only fields: unique over integers and bytes, not_in on an integer, an unanchored
    // pattern, a pattern over code points, and a duration bound with a fraction of a second.
    const fieldWith = (
      name: string,
      number: number,
      type: FieldDescriptorProto_Type,
      rules: MessageInitShape<typeof FieldRulesSchema>,
      more: object = {},
    ) => {
      const options = create(FieldOptionsSchema);
      setExtension(options, fieldRules, create(FieldRulesSchema, rules));
      return { name, number, type, jsonName: name, options, ...more };
    };
    const repeated = { label: FieldDescriptorProto_Label.REPEATED };
    const registry = createFileRegistry(
      create(FileDescriptorProtoSchema, {
        name: "test/rule_kinds.proto",
        package: "test.rule_kinds",
        syntax: "proto3",
        dependency: ["google/protobuf/duration.proto"],
        messageType: [
          {
            name: "Kinds",
            field: [
              fieldWith("numbers", 1, FieldDescriptorProto_Type.INT64, { unique: true }, repeated),
              fieldWith("blobs", 2, FieldDescriptorProto_Type.BYTES, { unique: true }, repeated),
              fieldWith("code", 3, FieldDescriptorProto_Type.INT32, { notIn: [1n, 2n] }),
              fieldWith("word", 4, FieldDescriptorProto_Type.STRING, { pattern: "b+" }),
              fieldWith("glyph", 5, FieldDescriptorProto_Type.STRING, { pattern: "^.$" }),
              fieldWith(
                "wait",
                6,
                FieldDescriptorProto_Type.MESSAGE,
                { durationLte: { seconds: 1n, nanos: 500_000_000 } },
                { typeName: ".google.protobuf.Duration" },
              ),
            ],
          },
          { name: "BadPattern", field: [fieldWith("text", 1, FieldDescriptorProto_Type.STRING, { pattern: "(" })] },
        ],
      }),
      (name) => (name === "google/protobuf/duration.proto" ? file_google_protobuf_duration : undefined),
    );
    const get = (name: string) => {
      const desc = registry.getMessage(`test.rule_kinds.${name}`);
      if (!desc) throw new Error(`test.rule_kinds.${name} is missing`);
      return desc;
    };
    const kinds = get("Kinds");
    const valid = { word: "abba", glyph: "x" };

    it("compares integers by value and bytes by content for unique", () => {
      expect(
        broken(
          kinds,
          create(kinds, { ...valid, numbers: [1n, 2n, 3n], blobs: [new Uint8Array([1]), new Uint8Array([2])] }),
        ),
      ).toEqual([]);
      expect(
        broken(
          kinds,
          create(kinds, { ...valid, numbers: [1n, 2n, 1n], blobs: [new Uint8Array([1]), new Uint8Array([1])] }),
        ),
      ).toEqual([
        ["numbers", "repeated.unique"],
        ["blobs", "repeated.unique"],
      ]);
    });

    it("applies not_in to an integer, zero included since the field is implicit", () => {
      expect(validateMessage(kinds, create(kinds, { ...valid, code: 2 }))).toEqual([
        { field: "code", rule: "int32.not_in", message: "value must not be in list [1, 2]" },
      ]);
      expect(broken(kinds, create(kinds, { ...valid, code: 0 }))).toEqual([]);
    });

    it("matches a pattern anywhere in the value unless it is anchored, as RE2 does", () => {
      expect(broken(kinds, create(kinds, { ...valid, word: "xxbxx" }))).toEqual([]);
      expect(broken(kinds, create(kinds, { ...valid, word: "xx" }))).toEqual([["word", "string.pattern"]]);
    });

    it("matches code points, not UTF-16 units", () => {
      expect(broken(kinds, create(kinds, { ...valid, glyph: "😀" }))).toEqual([]);
      expect(broken(kinds, create(kinds, { ...valid, glyph: "ab" }))).toEqual([["glyph", "string.pattern"]]);
    });

    it("writes a bound with a fraction of a second as protovalidate does", () => {
      expect(broken(kinds, create(kinds, { ...valid, wait: { seconds: 1n, nanos: 500_000_000 } }))).toEqual([]);
      expect(validateMessage(kinds, create(kinds, { ...valid, wait: { seconds: 2n } }))).toEqual([
        { field: "wait", rule: "duration.lte", message: "value must be less than or equal to 1.5s" },
      ]);
    });

    it("refuses to build a plan for a pattern that is not a regular expression", () => {
      const bad = get("BadPattern");
      expect(() => validateMessage(bad, create(bad))).toThrow(/pattern rule "\(" is not a valid regular expression/);
    });
  });

  describe("several violations", () => {
    it("reports all of them together, in field order", () => {
      const req = create(CreateRunnerRequestSchema, {
        name: "ab",
        kind: 99 as RunnerKind,
        provider: 98 as RunnerProvider,
        runnerManagerId: "nope",
      });
      expect(broken(CreateRunnerRequestSchema, req)).toEqual([
        ["name", "string.min_len"],
        ["kind", "enum.defined_only"],
        ["provider", "enum.defined_only"],
        ["runner_manager_id", "string.uuid"],
      ]);
    });

    it("walks nested messages in field order too", () => {
      const req = create(ListRunnersRequestSchema, {
        pagination: { pageSize: 500 },
        filter: {
          creatorIds: ["x"],
          kinds: [99 as RunnerKind],
          providers: [99 as RunnerProvider],
        },
      });
      expect(broken(ListRunnersRequestSchema, req)).toEqual([
        ["pagination.page_size", "int32.lte"],
        ["filter.creator_ids[0]", "string.uuid"],
        ["filter.kinds[0]", "enum.defined_only"],
        ["filter.providers[0]", "enum.defined_only"],
      ]);
    });

    it("returns an empty list for a valid request", () => {
      const req = create(CreateRunnerRequestSchema, {
        name: "build runner",
        provider: RunnerProvider.MANAGED,
        runnerManagerId: otherId,
      });
      expect(validateMessage(CreateRunnerRequestSchema, req)).toEqual([]);
    });
  });
});
