import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { describe, expect, it } from "vitest";
import { describeError, formErrors, isRetryable } from "./errors";

describe("describeError", () => {
  it("gives the server's own message without the code prefix, and the code by its API name", () => {
    const e = describeError(new ConnectError("runner not found", Code.NotFound));
    expect(e).toMatchObject({ code: Code.NotFound, codeName: "not_found", message: "runner not found" });
    expect(describeError(new ConnectError("x", Code.PermissionDenied)).codeName).toBe("permission_denied");
  });

  it("maps invalid_argument violations onto the form's field names", () => {
    const error = new ConnectError(
      "name: value length must be at least 3 characters",
      Code.InvalidArgument,
      undefined,
      [
        {
          desc: ViolationsSchema,
          value: create(ViolationsSchema, {
            violations: [
              { field: "name", rule: "string.min_len", message: "value length must be at least 3 characters" },
              { field: "environment_class.display_name", rule: "string.min_len", message: "too short" },
            ],
          }),
        },
      ],
    );
    expect(describeError(error).fields).toEqual({
      name: "value length must be at least 3 characters",
      "environmentClass.displayName": "too short",
    });
  });
});

describe("formErrors", () => {
  it("puts violations beside their fields and any other error in a notice", () => {
    expect(formErrors(undefined)).toEqual({ fields: {}, notice: false });
    expect(formErrors(null)).toEqual({ fields: {}, notice: false });
    expect(formErrors(new ConnectError("no", Code.PermissionDenied))).toEqual({ fields: {}, notice: true });
    const invalid = new ConnectError("name: too short", Code.InvalidArgument, undefined, [
      {
        desc: ViolationsSchema,
        value: create(ViolationsSchema, {
          violations: [{ field: "display_name", rule: "string.min_len", message: "too short" }],
        }),
      },
    ]);
    expect(formErrors(invalid)).toEqual({ fields: { displayName: "too short" }, notice: false });
  });
});

describe("isRetryable", () => {
  it("retries only what retrying can fix", () => {
    expect(isRetryable(new ConnectError("", Code.Unavailable))).toBe(true);
    expect(isRetryable(new ConnectError("", Code.DeadlineExceeded))).toBe(true);
    for (const code of [Code.InvalidArgument, Code.PermissionDenied, Code.Unauthenticated, Code.NotFound]) {
      expect(isRetryable(new ConnectError("", code))).toBe(false);
    }
  });
});
