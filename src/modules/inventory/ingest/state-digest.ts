/**
 * Terraform bumps a state's `serial` on every write, so a state whose resources did not change
 * still arrives as other bytes. This digest covers all of the state's text but the value of its
 * top-level serial: equal digests (with the same job name and parser) make the same rows, which
 * lets a job skip the parse, not only the compare.
 */
import { createHash } from 'node:crypto';

/** Terraform writes `version`, `terraform_version`, then `serial`: the key is found this early or not used. */
const SERIAL_WITHIN = 4096;

/**
 * SHA-256 over the parser version, the job name and the state text with its top-level `serial`
 * value left out; null when the text is not a state whose top-level serial can be found for
 * certain (the input then takes the full path).
 */
export function terraformStateDigest(text: string, jobName: string, parserVersion: string): string | null {
  const serial = topLevelSerial(text);
  if (serial === null) return null;
  return createHash('sha256')
    .update(`terraform_state\0${parserVersion}\0${jobName}\0`)
    .update(text.slice(0, serial.start))
    .update('\0')
    .update(text.slice(serial.end))
    .digest('hex');
}

/**
 * Where the top-level `"serial": <digits>` value is: the first `"serial"` key, which must sit at
 * depth 1 of the document (outside every string) and be followed by a colon and digits.
 */
export function topLevelSerial(text: string): { start: number; end: number } | null {
  const key = text.indexOf('"serial"');
  if (key < 0 || key > SERIAL_WITHIN) return null;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < key; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (inString || depth !== 1) return null;
  const value = /^"serial"\s*:\s*(\d+)/.exec(text.slice(key, key + 64));
  if (value === null) return null;
  const start = key + value[0].length - (value[1] as string).length;
  return { start, end: start + (value[1] as string).length };
}
