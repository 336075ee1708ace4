/**
 * The hidden password prompt of the `tapo` command line: asked on a terminal only, typed without
 * echo. The terminal is put in raw mode, so this reads keys, not lines, and does the little line
 * editing a password needs itself.
 */
import { StringDecoder } from 'node:string_decoder';

/** The part of a terminal's input stream (`process.stdin` on a TTY) that the prompt uses. */
export interface PromptInput {
  /** True on a terminal; the prompt is only ever shown on one. */
  readonly isTTY?: boolean;
  /** Whether raw mode is on (restored afterwards). */
  readonly isRaw?: boolean;
  /** Raw mode: every key arrives at once and the terminal echoes nothing. */
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** What {@link readHiddenLine} read: the text, or `cancelled` after Ctrl-C. */
export type PromptAnswer = { cancelled: false; text: string } | { cancelled: true };

/** Keys the prompt acts on (raw mode delivers them as these characters). */
const KEY = {
  interrupt: '\u0003', // Ctrl-C
  endOfInput: '\u0004', // Ctrl-D
  backspace: '\u007f', // DEL, what most terminals send for Backspace
  ctrlH: '\b', // Ctrl-H, Backspace on some terminals
  killLine: '\u0015', // Ctrl-U
  escape: '\u001b',
  enter: '\r',
  newline: '\n',
} as const;

/**
 * Writes `prompt` and reads one line from a terminal without echo: Enter ends it, Backspace
 * removes the last character, Ctrl-U the whole line, Ctrl-C cancels, Ctrl-D on an empty line ends
 * it empty. Escape sequences (arrow keys, bracketed-paste markers) and other control characters
 * are ignored. Raw mode is switched back to what it was, and the input paused (so that the process
 * can exit), however it ends; a newline is written after the answer, since the terminal echoed
 * none.
 */
export function readHiddenLine(input: PromptInput, write: (text: string) => void, prompt: string): Promise<PromptAnswer> {
  return new Promise((resolve) => {
    const wasRaw = input.isRaw === true;
    const decoder = new StringDecoder('utf8');
    const chars: string[] = [];
    /** Inside an escape sequence: 'esc' after ESC, 'csi' after ESC [ (until its final byte), 'ss3' after ESC O. */
    let escape: 'esc' | 'csi' | 'ss3' | undefined;
    let finished = false;

    const finish = (answer: PromptAnswer): void => {
      if (finished) return;
      finished = true;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      write('\n');
      resolve(answer);
    };
    const onEnd = (): void => finish({ cancelled: false, text: chars.join('') });
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        if (finished) return;
        if (escape !== undefined) {
          escape = skipEscape(escape, ch);
          continue;
        }
        switch (ch) {
          case KEY.enter:
          case KEY.newline:
            finish({ cancelled: false, text: chars.join('') });
            break;
          case KEY.interrupt:
            finish({ cancelled: true });
            break;
          case KEY.endOfInput:
            if (chars.length === 0) finish({ cancelled: false, text: '' });
            break;
          case KEY.backspace:
          case KEY.ctrlH:
            chars.pop();
            break;
          case KEY.killLine:
            chars.length = 0;
            break;
          case KEY.escape:
            escape = 'esc';
            break;
          default:
            // Other control characters (Tab included) are not part of a typed password.
            if (ch >= ' ') chars.push(ch);
        }
      }
    };

    // Raw mode first: a key typed as soon as the prompt shows must not be echoed.
    input.setRawMode?.(true);
    write(prompt);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

/**
 * One character of an escape sequence: returns where the sequence stands after it, undefined once
 * it is over. CSI (`ESC [ … final`) ends at a byte from `@` to `~`; SS3 (`ESC O x`) after one more
 * character; ESC followed by anything else (Alt+key) after that character.
 */
function skipEscape(state: 'esc' | 'csi' | 'ss3', ch: string): 'esc' | 'csi' | 'ss3' | undefined {
  if (state === 'esc') return ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : undefined;
  if (state === 'ss3') return undefined;
  return ch >= '@' && ch <= '~' ? undefined : 'csi';
}
