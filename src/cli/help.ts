/** `dit --help` and `dit <command> --help`: what each command reads, writes and accepts. */
export const USAGE = `usage: dit <command> [options]     (dit <command> --help for a command's options)

commands:
  forward   run the DiT forward on given inputs
  sample    sample latents with DDPM / DDIM / DPM-Solver++
  schedule  print a respaced diffusion schedule
  decode    decode latents with the SD VAE
  generate  class → PNG, end to end

common options: --chromium PATH (or $DIT_CHROMIUM; default /usr/bin/chromium), --verbose`;

export const COMMAND_HELP: Record<string, string> = {
  forward: `usage: dit forward --weights W.safetensors --config C.json --inputs IO.safetensors --output OUT.safetensors
                   [--cfg S] [--cfg-channels 3|all] [--intermediates]

Reads x (N,C,H,W), t (N) and y (N) from the inputs file and writes out (N, 2C or C, H, W).
  --cfg S            also write out_cfg, the reference forward_with_cfg at scale S
  --cfg-channels     guide eps channels 0-2 (3, the reference) or every eps channel (all)
  --intermediates    also write t_freq, t_emb, y_emb, c, tokens_in, block0_out, blocks_out, final_tokens
Weights: safetensors or PyTorch .bin, official DiT or diffusers Transformer2DModel names.`,
  sample: `usage: dit sample --weights W --config C --labels 3,7 --respacing STR --sampler ddpm|ddim|dpm++ --cfg S
                  [--cfg-channels 3|all] [--eta E] (--noise N.safetensors | --seed K) --output OUT.safetensors

Runs the reference sampling loop on the GPU; writes final (B,C,H,W) and samples (S,B,C,H,W).
  --respacing STR    "250", "ddim50", "5,10,15" (as the reference space_timesteps)
  --noise FILE       z (B,C,H,W) and, for DDPM, step_noise (S, 2B or B, C,H,W)
  --seed K           draw the noise from the documented Philox4x32-10 generator instead
  --eta E            DDIM's eta (default 0)`,
  schedule: `usage: dit schedule --respacing STR

Prints the respaced schedule ("250", "ddim50", "5,10,15") as one JSON object, float64 throughout.`,
  decode: `usage: dit decode --weights VAE.safetensors --config VAE_CONFIG.json --inputs IO.safetensors --output OUT.safetensors
                  [--tile N] [--intermediates]

Runs the Stable Diffusion VAE decoder on z (B, latent_channels, h, w; already divided by 0.18215)
and writes sample (B, out_channels, h*f, w*f).
  --tile N           decode in bands of N latent rows
  --intermediates    also write every stage the fixtures name`,
  generate: `usage: dit generate --class ID_OR_NAME [--cfg S] [--steps N] [--sampler ddpm|ddim|dpm++]
                    [--seed K | --noise N.safetensors] [--size 256|512] [--hub-url URL] [--repo ORG/NAME]
                    [--revision REV] [--transformer FILE --vae FILE] [--cache-dir DIR] [--dtype f32|f16]
                    [--quiet] --output OUT.png
       dit generate --model builtin --class ID_OR_NAME [--seed K --cfg S --steps N --sampler …] --output OUT.png
       dit generate --model builtin --list-classes
       dit generate … --class C --seed 1,2,3 --cfg 1,4 [--blend C2 --blend-weight 0,0.5,1] --output GRID.png

Class → 8-bit RGB PNG with the parameters in PNG text chunks. Defaults as the reference sample.py:
cfg 4.0, 250 DDPM steps, seed 0. Without --model builtin: facebook/DiT-XL-2-256 (or -512 with
--size 512) from the Hugging Face Hub, downloaded once into --cache-dir (default
$XDG_CACHE_HOME/dit-studio or ~/.cache/dit-studio), or local files with --transformer/--vae
(each with its config.json beside it). --dtype f16 stores the transformer's weights as halves.
  --seed, --cfg, --blend-weight   comma-separated lists make a grid: a row per seed, a column per
                     value of --cfg or --blend-weight (one of them), each cell the single run
  --blend C2         mix class C2 into the label embedding: (1 - W) table[C] + W table[C2]
  --blend-weight W   in [0, 1], default 0.5 with --blend`,
};
