import { useState } from "react";
import { signInWithToken, ssoStartUrl } from "../../api/session";
import { SignInPageView } from "./SignInPageView";

/** Sign in by SSO (a navigation to the IdP) or with a personal access token (a session cookie). */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  return (
    <SignInPageView
      error={error}
      pending={pending}
      onSso={(email) => {
        const here = window.location.pathname + window.location.search;
        window.location.assign(ssoStartUrl(email, here === "/" ? "/runners" : here));
      }}
      onToken={async (token) => {
        setPending(true);
        setError(undefined);
        try {
          await signInWithToken(token);
          onSignedIn();
        } catch (e) {
          setError((e as Error).message);
        } finally {
          setPending(false);
        }
      }}
    />
  );
}
