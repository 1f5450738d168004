export { consoleContentSecurityPolicy, consolePage, defaultConsoleDir } from "./console-assets.js";
