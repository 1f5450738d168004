import { type ReactNode, useState } from "react";
import { Link, useLocation } from "wouter";
import { useSession } from "../../api/session-context";

const nav: [string, string][] = [
  ["/runners", "Runners"],
  ["/context-url", "Try a context URL"],
  ["/accounts", "Your accounts"],
  ["/tokens", "Access tokens"],
  ["/members", "Members"],
  ["/groups", "Groups"],
  ["/service-accounts", "Service accounts"],
  ["/sso", "SSO"],
  ["/audit-log", "Audit log"],
];

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const [location] = useLocation();
  const [signingOut, setSigningOut] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/runners" className="brand">
          runnerplane
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map(([href, label]) => (
              <li key={href}>
                <Link href={href} aria-current={location.startsWith(href) ? "page" : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          className="secondary"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            session.signOut().finally(() => setSigningOut(false));
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">{children}</main>
    </div>
  );
}
