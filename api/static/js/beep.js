// Audible cue for new critical alerts: a WebAudio two-tone beep, no audio file.
// Browsers only let audio start after a user gesture, so the AudioContext is created on
// the first click or key press; until then (and while muted) beeps are skipped.

const MUTE_KEY = "lifeline.muted";
let context = null;
export let muted = localStorage.getItem(MUTE_KEY) === "1";

function unlock() {
  if (context == null && window.AudioContext) context = new AudioContext();
  if (context && context.state === "suspended") context.resume();
}
window.addEventListener("pointerdown", unlock, { passive: true });
window.addEventListener("keydown", unlock);

export function setMuted(value) {
  muted = value;
  localStorage.setItem(MUTE_KEY, value ? "1" : "0");
}

let last = 0;
/** Beep (at most once a second) unless muted or audio is not unlocked yet. */
export function beep() {
  const now = performance.now();
  if (muted || context == null || context.state !== "running" || now - last < 1000) return;
  last = now;
  const start = context.currentTime;
  for (const [offset, freq] of [[0, 880], [0.22, 660], [0.44, 880]]) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
    osc.connect(gain).connect(context.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.2);
  }
}
