import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { estimateContextTokens } from './estimate-context-tokens.js';
import { imageTokens } from './image-tokens.js';

/** A PNG of `width`×`height` as a data URL: a real header, then `padding` bytes of image data. */
function png(width: number, height: number, padding = 0): string {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const type = Buffer.from('IHDR');
  const chunk = Buffer.concat([Buffer.from([0, 0, 0, 13]), type, header, Buffer.alloc(4)]);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, header])), 21);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return `data:image/png;base64,${Buffer.concat([signature, chunk, Buffer.alloc(padding, 7)]).toString('base64')}`;
}

describe('imageTokens', () => {
  it("prices an image by OpenAI's tiles", () => {
    expect(imageTokens({ image_url: png(1024, 1024), detail: 'high' }, 'openai')).toBe(85 + 170 * 4);
    // 2048×4096 → fits 1024×2048 → short side 768: 768×1536, 2×3 tiles.
    expect(imageTokens({ image_url: png(2048, 4096), detail: 'auto' }, 'openai')).toBe(85 + 170 * 6);
    expect(imageTokens({ image_url: png(100, 100) }, 'openai')).toBe(85 + 170);
    expect(imageTokens({ image_url: png(4000, 3000), detail: 'low' }, 'openai')).toBe(85);
  });

  it("prices an image by Anthropic's pixels", () => {
    expect(imageTokens({ image_url: png(1000, 1000) }, 'anthropic')).toBe(Math.ceil(1_000_000 / 750));
    // Scaled to the size ceiling first.
    expect(imageTokens({ image_url: png(4000, 3000) }, 'anthropic')).toBeLessThanOrEqual(1534);
    expect(imageTokens({ image_url: png(200, 100) }, 'anthropic')).toBe(27);
  });

  it('falls back to a typical price when the size cannot be read', () => {
    expect(imageTokens({ image_url: 'https://example.com/cat.png' }, 'openai')).toBe(765);
    expect(imageTokens({ image_url: 'data:image/png;base64,bm90IGFuIGltYWdl' }, 'anthropic')).toBe(1600);
    expect(imageTokens({}, 'openai')).toBe(765);
  });
});

describe('estimateContextTokens', () => {
  it('counts a 1 MB image by its size, not its base64 characters', () => {
    const image = png(1280, 720, 1024 * 1024);
    const input = [
      {
        role: 'user' as const,
        content: [
          { type: 'input_text' as const, text: 'What is on this screenshot?' },
          { type: 'input_image' as const, image_url: image, detail: 'auto' as const },
        ],
      },
    ];
    const tokens = estimateContextTokens({ input } as never, 'openai');
    // 1280×720 → 1365×768 → 3×2 tiles = 1105, plus a few dozen for the text and JSON.
    expect(tokens).toBeGreaterThan(1105);
    expect(tokens).toBeLessThan(1105 + 100);
    expect(image.length).toBeGreaterThan(1_000_000);
  });

  it('counts an inline file as the text it decodes to', () => {
    const data = Buffer.alloc(30_000, 'a').toString('base64');
    const input = [
      {
        role: 'user' as const,
        content: [{ type: 'input_file' as const, filename: 'a.txt', file_data: data }],
      },
    ];
    const tokens = estimateContextTokens({ input } as never);
    expect(tokens).toBeGreaterThan(7_500);
    expect(tokens).toBeLessThan(7_600);
  });
});
