import { useState } from "react";
import { signInWithToken, ssoStartUrl } from "../../api/session";
import { returnToFromUrl } from "../../modules/session/return-to";
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
        window.location.assign(ssoStartUrl(email, returnToFromUrl() ?? (here === "/" ? "/runners" : here)));
      }}
      onToken={async (token) => {
        setPending(true);
        setError(undefined);
        try {
          await signInWithToken(token);
          // Sent here by a server page (e.g. an SCM OAuth link): back to it, as a full page load.
          const returnTo = returnToFromUrl();
          if (returnTo) window.location.assign(returnTo);
          else onSignedIn();
        } catch (e) {
          setError((e as Error).message);
        } finally {
          setPending(false);
        }
      }}
    />
  );
}
