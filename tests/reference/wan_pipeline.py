#!/usr/bin/python3
"""The project's independent reference of `reel-neural generate`: a Wan checkpoint folder
(make_wan_folder.py) and a request in, the video out, built only from the reference modules.

  wan_pipeline.py --folder DIR --request REQ.json --out EXPECTED.safetensors [--perturbed]

1. Prompt and negative prompt (the official default when empty): umt5.clean_prompt, python
   sentencepiece pieces truncated to text_len - 1 + EOS + pad to text_len, umt5.encode with
   the mask, cut to the true length.
2. Noise: torch.randn([z, 1 + (T-1)/4, H/f, W/f], generator=torch.Generator().manual_seed(seed)).
3. ti2v i2v: the image (PNG, exactly width x height) as v / 127.5 - 1 → wan_vae encode →
   latent frame 0, fixed by flow_samplers.sample(first_frame=...).
4. flow_samplers.sample with wan_dit.forward, then wan_vae decode.
5. frames = round((clamp(video, -1, 1) + 1) * 127.5) as uint8 [T, H, W, 3].

EXPECTED.safetensors: video F32 [3, T, H, W], frames [T, H, W, 3] (the uint8 values stored as
F32: safetensors_io writes float and int tensors only); with --perturbed also
perturbed.<name> (video) for each entry of PERTURBATIONS that applies to the request; for i2v
also first_frame_roundtrip [3, H, W] (the image VAE-encoded and decoded alone).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow_samplers  # noqa: E402
import safetensors_io  # noqa: E402
import umt5  # noqa: E402
import wan_dit  # noqa: E402
import wan_vae  # noqa: E402

NEG_PROMPT = ("色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
              "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
              "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走")

# Mistakes the pipeline glue could make; reel must differ from each (the components
# have their own perturbation tests).
PERTURBATIONS = {
    "seed_plus_one": "noise from seed + 1",
    "empty_negative": "an empty negative prompt instead of the official default",
    "uncut_context": "the encoder output not cut to the prompt's true length",
    "no_clean": "the prompt tokenized without cleaning",
    "swapped_cfg": "the negative prompt's context used as the conditional one",
    "no_first_frame": "(i2v) the image latent not fixed as latent frame 0",
}

DEFAULTS = {"task": "t2v", "negative_prompt": "", "steps": 50, "shift": 5.0, "guidance": 5.0,
            "sampler": "unipc", "seed": 0}


def load_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class Folder:
    def __init__(self, path):
        self.dit_cfg = load_json(os.path.join(path, "config.json"))
        self.vae_cfg = load_json(os.path.join(path, "vae_config.json"))
        self.t5_cfg = load_json(os.path.join(path, "t5_config.json"))
        self.dit = safetensors_io.load(os.path.join(path, "diffusion_pytorch_model.safetensors"))
        vae_file = "Wan2.2_VAE.pth" if self.vae_cfg["version"] == "2.2" else "Wan2.1_VAE.pth"
        self.vae = torch.load(os.path.join(path, vae_file))
        self.t5 = torch.load(os.path.join(path, "models_t5_umt5-xxl-enc-bf16.pth"))
        import sentencepiece
        self.sp = sentencepiece.SentencePieceProcessor(
            model_file=os.path.join(path, "google", "umt5-xxl", "spiece.model"))
        self.f = 16 if self.vae_cfg["version"] == "2.2" else 8

    def encode_text(self, text, clean=True, cut=True):
        text_len = self.dit_cfg["text_len"]
        pieces = self.sp.encode(umt5.clean_prompt(text) if clean else text)
        pieces = pieces[: text_len - 1] + [self.sp.eos_id()]
        length = len(pieces)
        ids = torch.tensor([pieces + [self.sp.pad_id()] * (text_len - length)])
        mask = torch.zeros(1, text_len, dtype=torch.long)
        mask[0, :length] = 1
        y = umt5.encode(self.t5, self.t5_cfg, ids, mask)[0]
        return y[:length] if cut else y


def run(folder, req, perturb=None):
    r = dict(DEFAULTS)
    r.update(req)
    clean = perturb != "no_clean"
    cut = perturb != "uncut_context"
    context = folder.encode_text(r["prompt"], clean, cut)
    neg = r["negative_prompt"] or ("" if perturb == "empty_negative" else NEG_PROMPT)
    context_null = folder.encode_text(neg, clean, cut)
    if perturb == "swapped_cfg":
        context, context_null = context_null, context

    z, f = folder.dit_cfg["out_dim"], folder.f
    seed = r["seed"] + (1 if perturb == "seed_plus_one" else 0)
    shape = (z, 1 + (r["frames"] - 1) // 4, r["height"] // f, r["width"] // f)
    noise = torch.randn(shape, generator=torch.Generator().manual_seed(seed))

    vae = wan_vae.Net(folder.vae_cfg, folder.vae)
    first = None
    if r["task"] == "i2v" and perturb != "no_first_frame":
        from PIL import Image
        img = np.asarray(Image.open(r["image"]).convert("RGB"), dtype=np.float32)
        assert img.shape[:2] == (r["height"], r["width"]), "the reference takes exact-size images"
        px = torch.from_numpy(img).permute(2, 0, 1)[None, :, None] / 127.5 - 1.0  # [1,3,1,H,W]
        # wan_vae.Net (whole-sequence) cannot take a 1-frame video; its encoder is causal,
        # so latent frame 0 of the image followed by copies is the image's own latent.
        first = vae.encode(px.expand(-1, -1, 5, -1, -1).contiguous())[0, :, :1]  # [z, 1, h, w]

    cfg, w = folder.dit_cfg, folder.dit

    def model(x, t, cond):
        t = t if torch.is_tensor(t) else torch.tensor([t])
        return wan_dit.forward(cfg, w, x, t, context if cond else context_null)

    latent = flow_samplers.sample(model, noise, r["steps"], r["shift"], r["guidance"],
                                  r["sampler"], first_frame=first,
                                  patch=tuple(cfg["patch_size"])).float()
    video = vae.decode(latent[None])[0].float()  # [3, T, H, W]
    if first is not None:
        # The causal decoder makes frame 0 from latent frame 0 alone, so an i2v video's
        # frame 0 is exactly the VAE round trip of the image.
        run.roundtrip = vae.decode(first[None])[0, :, 0].float()  # [3, H, W]
    return video


def to_frames(video):
    return ((video.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 3, 0).contiguous()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", required=True)
    ap.add_argument("--request", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--perturbed", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    folder = Folder(a.folder)
    req = load_json(a.request)
    if "image" in req and not os.path.isabs(req["image"]):
        req["image"] = os.path.join(os.path.dirname(os.path.abspath(a.request)), req["image"])
    if req.get("task") == "t2i":
        req["frames"] = 1
    video = run(folder, req)
    out = {"video": video.contiguous(), "frames": to_frames(video).float()}
    if req.get("task") == "i2v":
        out["first_frame_roundtrip"] = run.roundtrip.contiguous()
    if a.perturbed:
        for name in PERTURBATIONS:
            if name == "no_first_frame" and req.get("task") != "i2v":
                continue
            if name == "empty_negative" and req.get("negative_prompt"):
                continue
            out["perturbed." + name] = run(folder, req, name).contiguous()
    safetensors_io.save(a.out, out)


if __name__ == "__main__":
    main()
