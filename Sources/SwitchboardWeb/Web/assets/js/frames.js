// One requestAnimationFrame loop for the whole page: views mark themselves
// dirty when data arrives, and each is drawn at most once per frame, however
// many messages came in between (50 updates/s cost one draw per frame).

const dirty = new Set();
let scheduled = false;

export const frameStats = { frames: 0, drawMs: [] };

export function invalidate(view) {
  dirty.add(view);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(drawAll);
  }
}

function drawAll() {
  scheduled = false;
  const views = [...dirty];
  dirty.clear();
  const started = performance.now();
  for (const view of views) {
    try {
      view.draw();
    } catch (error) {
      console.error(error);
    }
  }
  frameStats.frames += 1;
  if (frameStats.drawMs.length < 100000) frameStats.drawMs.push(performance.now() - started);
}
