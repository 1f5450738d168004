import { describe, expect, it } from "vitest";
import { withReturnTo } from "./auth-link";

describe("withReturnTo", () => {
  it("adds the page to come back to, keeping the attempt", () => {
    const link = withReturnTo("http://127.0.0.1:9/auth/oauth2/start?attempt=abc", "http://127.0.0.1:9/accounts");
    const url = new URL(link);
    expect(url.searchParams.get("attempt")).toBe("abc");
    expect(url.searchParams.get("return_to")).toBe("http://127.0.0.1:9/accounts");
  });

  it("keeps a return_to the server already chose, and leaves a non-URL alone", () => {
    expect(withReturnTo("http://h/start?return_to=%2Fx", "http://h/y")).toBe("http://h/start?return_to=%2Fx");
    expect(withReturnTo("not a url", "http://h/y")).toBe("not a url");
  });
});
