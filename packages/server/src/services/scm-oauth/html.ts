/** The OAuth pages' HTML: the server's one page shape (http/html-page.ts). */
export { sendHtmlPage as sendPage } from "../../http/html-page.js";
