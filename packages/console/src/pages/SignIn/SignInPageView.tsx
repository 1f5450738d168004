import { useState } from "react";
import { TextField } from "../../components/TextField";

export function SignInPageView({
  error,
  pending,
  onSso,
  onToken,
}: {
  error: string | undefined;
  pending: boolean;
  onSso: (email: string) => void;
  onToken: (token: string) => void;
}) {
  const [email, setEmail] = useState("");
  const [token, setToken] = useState("");
  return (
    <main className="sign-in">
      <h1>Sign in to runnerplane</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (email.trim()) onSso(email.trim());
        }}
      >
        <h2 id="sso-heading">Single sign-on</h2>
        <TextField
          label="Work email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          hint="You are sent to your organization's identity provider."
        />
        <button type="submit">Continue with SSO</button>
      </form>
      <div className="divider" aria-hidden="true">
        or
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <h2 id="pat-heading">Personal access token</h2>
        <TextField
          label="Personal access token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          error={error}
          hint="Without an identity provider: paste a token from `runnerplane` bootstrap or your tokens page."
        />
        <button type="submit" disabled={pending}>
          {pending ? "Signing in…" : "Sign in with token"}
        </button>
      </form>
    </main>
  );
}
