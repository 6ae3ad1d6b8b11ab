import { useEffect, useRef } from 'react';
import type { Frame } from '../../engine/api';

/** Draws a frame into a canvas whose intrinsic size is the frame's (small frames scale up pixelated). */
export function FrameCanvas(props: { frame: Frame | null; testId: string; label: string; hidden?: boolean; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { frame } = props;
  useEffect(() => {
    const c = ref.current;
    if (!c || !frame) return;
    if (c.width !== frame.width) c.width = frame.width;
    if (c.height !== frame.height) c.height = frame.height;
    let ctx: CanvasRenderingContext2D | null = null;
    try {
      ctx = c.getContext('2d');
    } catch {
      ctx = null; // no canvas support (tests)
    }
    if (!ctx || typeof ImageData === 'undefined') return;
    const rgba = new Uint8ClampedArray(frame.rgba.buffer as ArrayBuffer, frame.rgba.byteOffset, frame.rgba.byteLength);
    ctx.putImageData(new ImageData(rgba, frame.width, frame.height), 0, 0);
  }, [frame]);
  const small = frame ? frame.width < 256 : false;
  return (
    <canvas
      ref={ref}
      data-testid={props.testId}
      width={frame?.width ?? 256}
      height={frame?.height ?? 256}
      className={`${props.className ?? 'stage-canvas'}${small ? ' pixelated' : ''}`}
      role="img"
      aria-label={props.label}
      hidden={props.hidden}
    />
  );
}
