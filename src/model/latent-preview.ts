/**
 * Linear latent → RGB approximation of the Stable Diffusion VAE, for previews during sampling
 * (shaders/latent_preview.wgsl): rgb = latent · LATENT_RGB_MATRIX + LATENT_RGB_BIAS, in [-1, 1].
 *
 * The coefficients are the ones ComfyUI uses for SD 1.x latents (`comfy/latent_formats.py`,
 * class SD15, `latent_rgb_factors`, no bias), a least-squares fit of decoded RGB on the four latent
 * channels in the spirit of keturn's "Decoding latents to RGB without upscaling" (Hugging Face forum,
 * 2022). They apply to diffusion latents as the model sees them (already multiplied by the scaling
 * factor 0.18215), which is what DiT samples. DiT-XL-2-256 uses the same VAE (sd-vae-ft-ema/mse).
 */

/** Rows: latent channels 0..3; columns: R, G, B. */
export const LATENT_RGB_MATRIX: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export const LATENT_RGB_BIAS: readonly [number, number, number] = [0, 0, 0];
