import { imageSize } from 'image-size';

/** Whose rule prices an image: OpenAI's tiles (OpenAI and compatible servers) or Anthropic's pixels. */
export type ImageTokenRule = 'openai' | 'anthropic';

/** An `input_image` part as the context holds it. */
export interface ImagePart {
  readonly image_url?: string | null;
  readonly detail?: string | null;
}

/**
 * What an image costs when its size cannot be read (a URL, a file id, an unknown format): OpenAI's
 * price of a 1024×1024 image at high detail, and Anthropic's of an image at its size ceiling.
 */
const unknownSizeTokens: Record<ImageTokenRule, number> = { openai: 765, anthropic: 1600 };

/**
 * The tokens an image in the context costs the model, by the provider's published rule, from the
 * image's own dimensions (read from the header of a `data:` URL's bytes). Counting the base64
 * characters instead made a 1 MB screenshot look like 260,000 tokens and compacted on the first turn.
 *
 * - OpenAI: `detail: "low"` is 85 tokens; otherwise the image is scaled to fit 2048×2048, then so its
 *   short side is at most 768, and costs 85 + 170 per 512-pixel tile.
 * - Anthropic: width × height / 750, after scaling to a long side of at most 1568 pixels and about
 *   1.15 megapixels.
 */
export function imageTokens(part: ImagePart, rule: ImageTokenRule): number {
  if (rule === 'openai' && part.detail === 'low') return 85;
  const size = dataUrlImageSize(part.image_url);
  if (!size) return unknownSizeTokens[rule];
  return rule === 'openai' ? openaiTiles(size) : anthropicPixels(size);
}

function openaiTiles({ width, height }: Size): number {
  let scale = Math.min(1, 2048 / Math.max(width, height));
  scale *= Math.min(1, 768 / Math.min(width * scale, height * scale));
  const tiles = Math.ceil((width * scale) / 512) * Math.ceil((height * scale) / 512);
  return 85 + 170 * tiles;
}

function anthropicPixels({ width, height }: Size): number {
  let scale = Math.min(1, 1568 / Math.max(width, height));
  scale = Math.min(scale, Math.sqrt(1_150_000 / (width * height)));
  return Math.ceil((width * scale * (height * scale)) / 750);
}

interface Size {
  readonly width: number;
  readonly height: number;
}

/** The bytes the header of any common format needs (a JPEG's size can follow its EXIF block). */
const headerBytes = 256 * 1024;

function dataUrlImageSize(url: string | null | undefined): Size | undefined {
  const match = url ? /^data:[^,]*;base64,/.exec(url.slice(0, 200)) : null;
  if (!url || !match) return undefined;
  // Four base64 characters per three bytes: decode only the start.
  const start = match[0].length;
  const bytes = Buffer.from(url.slice(start, start + Math.ceil(headerBytes / 3) * 4), 'base64');
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}
