export { sealForRunner } from "./sealed-box.js";
