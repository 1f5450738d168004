import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createConsoleQueryClient } from "./api/query-client";
import { createConsoleTransport } from "./api/transport";
import "./styles.css";

const transport = createConsoleTransport(window.location.origin);
const queryClient = createConsoleQueryClient();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App transport={transport} queryClient={queryClient} />
  </StrictMode>,
);
