import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Testing Library unmounts after each test only with vitest's globals; these tests import explicitly.
afterEach(() => cleanup());
