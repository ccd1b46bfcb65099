// `leaderboard` panels: ranked rows with moves animated and changes highlighted.

import { Leaderboard } from "../leaderboard.js";

export class LeaderboardView {
  constructor(body, context) {
    const descriptor = context.descriptor ?? {};
    body.classList.add("scroll-body");
    this.board = new Leaderboard(body, { fields: Array.isArray(descriptor.fields) ? descriptor.fields : null });
  }

  load(messages) {
    if (messages.length) this.push(messages[messages.length - 1]);
  }

  push(message) {
    this.board.update(message.data);
  }

  gap() {}
}
