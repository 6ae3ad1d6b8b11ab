import { useController, useStudio } from '../context';

/** Shown instead of the studio when the browser has no usable WebGPU. */
export function NoWebGpu() {
  const controller = useController();
  const message = useStudio((s) => s.engine.error);
  const fakeUrl = (() => {
    if (typeof location === 'undefined') return '?engine=fake';
    const q = new URLSearchParams(location.search);
    q.set('engine', 'fake');
    q.delete('fake-fail');
    return `?${q.toString()}`;
  })();
  return (
    <section className="panel no-webgpu" data-testid="no-webgpu" role="alert" aria-labelledby="no-webgpu-title">
      <div className="no-webgpu-icon" aria-hidden="true">
        <svg viewBox="0 0 48 48" width="48" height="48">
          <rect x="6" y="12" width="36" height="24" rx="4" fill="none" stroke="currentColor" strokeWidth="3" />
          <path d="M14 36v5M24 36v5M34 36v5M14 7v5M24 7v5M34 7v5" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
          <path d="M4 44L44 4" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
        </svg>
      </div>
      <h2 id="no-webgpu-title">This browser cannot run DiT Studio: WebGPU is not available</h2>
      <p>
        DiT Studio runs a Diffusion Transformer on your graphics card, inside the page, through WebGPU. Nothing is sent
        to a server — so it needs a browser where WebGPU works.
      </p>
      {message && (
        <p className="no-webgpu-reason">
          <span>What the browser said:</span> <code>{message}</code>
        </p>
      )}
      <ul className="remedies">
        <li>
          Use a recent <strong>Chrome</strong> or <strong>Edge</strong> (version 113 or later) on Windows, macOS or
          ChromeOS, or Chrome 121+ on Android.
        </li>
        <li>
          On <strong>Linux</strong>, enable <code>chrome://flags/#enable-unsafe-webgpu</code> (and, if needed,{' '}
          <code>chrome://flags/#enable-vulkan</code>), then restart Chrome.
        </li>
        <li>
          <strong>Firefox</strong>: version 141+ on Windows, or set <code>dom.webgpu.enabled</code> to true in{' '}
          <code>about:config</code>. <strong>Safari</strong>: Safari 26, or turn on WebGPU under Develop → Feature Flags.
        </li>
        <li>
          Check that hardware acceleration is on, and that <code>chrome://gpu</code> does not list WebGPU as disabled
          for your graphics driver.
        </li>
      </ul>
      <div className="button-row">
        <button type="button" className="primary" onClick={() => void controller.start()}>
          Try again
        </button>
        <a className="button secondary" href={fakeUrl}>
          Open the demo without a GPU
        </a>
      </div>
    </section>
  );
}
