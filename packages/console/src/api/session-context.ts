import { createContext, useContext } from "react";

export interface Session {
  subjectId: string;
  organizationId: string;
  /** Ends the session on the server and shows sign-in. */
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in person; only pages rendered inside the signed-in layout call it. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a session");
  return s;
}
