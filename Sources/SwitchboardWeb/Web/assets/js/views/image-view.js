// `image` panels: the newest image a topic carries as a base64 data URL.
// Only `data:image/…` URLs are shown: a message cannot make the page fetch anything.

import { imageOf } from "../infer.js";
import { clock, el } from "../format.js";

export class ImageView {
  constructor(body) {
    this.image = el("img", { class: "stream-image", alt: "newest image" });
    this.caption = el("div", { class: "caption" }, "waiting for an image…");
    body.classList.add("image-body");
    body.append(this.image, this.caption);
  }

  load(messages) {
    if (messages.length) this.push(messages[messages.length - 1]);
  }

  push(message) {
    const url = imageOf(message.data);
    if (!url) return;
    this.image.src = url;
    this.caption.textContent = `seq ${message.seq} · ${clock(message.ts)}`;
  }

  gap() {}
}
