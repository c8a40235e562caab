"""Independent reference for the Wan 3D causal VAEs (Wan2.1 and Wan2.2), plain torch.

Written from the published architecture (research section 1.5; Wan2.1 wan/modules/vae.py and
Wan2.2 wan/modules/vae2_2.py module layout), as functions over a {official name: tensor} dict.
Unlike the official code (and reel), this runs every layer over the WHOLE sequence at once,
with no chunks and no caches: a causal conv pads its front with zeros, the temporal
resamples treat frame 0 specially. That is the point: reel's chunked, cached inference must
equal this. Perturbations (PERTURBATIONS) change one component each, so the tests can show
that a wrong component would be caught.

cfg: {"version": "2.1"|"2.2", "dim", "decoder_dim", "dim_mult", "num_res_blocks",
      "temporal_downsample", "z_dim", "mean", "std"}
"""
import math

import torch
import torch.nn.functional as F

PERTURBATIONS = [
    "gamma_one",            # RMS-norm gammas ignored
    "norm_mean_reversed",   # latent normalisation mean in the wrong order
    "one_frame_cache",      # causal convs see one previous frame, not two
    "up_time_order",        # time_conv channel halves interleaved the other way round
    "up_context_first",     # upsample time_conv also sees frame 0 as context
    "down_time_padded",     # downsample time_conv zero-padded instead of frame 0 passing through
    "attn_no_scale",        # mid-block attention without 1/sqrt(C)
]
PERTURBATIONS_22 = [
    "patchify_order",       # 2x2 patch channels as (c q r) instead of (c r q)
    "no_shortcut",          # AvgDown3D / DupUp3D stage shortcuts left out
    "dup_keep_last",        # DupUp3D drops the trailing instead of the leading frame
]

ENCODER_ONLY = {"down_time_padded"}
DECODER_ONLY = {"up_time_order", "up_context_first", "dup_keep_last"}


class Net:
    def __init__(self, cfg, w, perturb=()):
        self.cfg, self.w, self.p = cfg, w, set(perturb)
        self.v22 = cfg["version"] == "2.2"

    # -- primitives -------------------------------------------------------------------
    def norm(self, x, name):
        g = self.w[name + ".gamma"]
        if "gamma_one" in self.p:
            g = torch.ones_like(g)
        c = x.shape[1]
        return F.normalize(x, dim=1) * math.sqrt(c) * g

    def cconv(self, x, name, stride_t=1):
        """Causal conv: 2*(k_t//2) zero frames in front, k//2 zeros each side in space."""
        wt, b = self.w[name + ".weight"], self.w[name + ".bias"]
        kt, kh, kw = wt.shape[2:]
        if "one_frame_cache" in self.p and kt == 3:
            wt = wt.clone()
            wt[:, :, 0] = 0.0  # frame t-2 never reaches the conv
        x = F.pad(x, (kw // 2, kw // 2, kh // 2, kh // 2, kt - 1, 0))
        return F.conv3d(x, wt, b, stride=(stride_t, 1, 1))

    def frames2d(self, x, fn):
        b, c, t, h, w = x.shape
        y = fn(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
        return y.reshape(b, t, *y.shape[1:]).permute(0, 2, 1, 3, 4)

    # -- blocks ------------------------------------------------------------------------
    def res(self, x, p):
        sc = self.cconv(x, p + ".shortcut") if (p + ".shortcut.weight") in self.w else x
        y = self.cconv(F.silu(self.norm(x, p + ".residual.0")), p + ".residual.2")
        y = self.cconv(F.silu(self.norm(y, p + ".residual.3")), p + ".residual.6")
        return y + sc

    def attn(self, x, p):
        def one(f):  # f [N, C, H, W]
            n, c, h, w = f.shape
            q, k, v = F.conv2d(self.norm(f, p + ".norm"), self.w[p + ".to_qkv.weight"],
                               self.w[p + ".to_qkv.bias"]).reshape(n, 3, c, h * w).unbind(1)
            scale = 1.0 if "attn_no_scale" in self.p else 1.0 / math.sqrt(c)
            a = torch.softmax(torch.einsum("ncq,nck->nqk", q, k) * scale, dim=-1)
            o = torch.einsum("nqk,nck->ncq", a, v).reshape(n, c, h, w)
            return F.conv2d(o, self.w[p + ".proj.weight"], self.w[p + ".proj.bias"]) + f
        return self.frames2d(x, one)

    def resample(self, x, p, mode):
        if mode == "up3d":
            first, rest = x[:, :, :1], x[:, :, 1:]
            if rest.shape[2] > 0:
                if "up_context_first" in self.p:
                    t = self.cconv(x, p + ".time_conv")[:, :, 1:]
                else:
                    t = self.cconv(rest, p + ".time_conv")
                b, c2, n, h, w = t.shape
                halves = t.reshape(b, 2, c2 // 2, n, h, w)
                if "up_time_order" in self.p:
                    halves = halves.flip(1)
                t = halves.permute(0, 2, 3, 1, 4, 5).reshape(b, c2 // 2, 2 * n, h, w)
                x = torch.cat([first, t], 2)
        if mode in ("up2d", "up3d"):
            conv = (self.w[p + ".resample.1.weight"], self.w[p + ".resample.1.bias"])
            x = self.frames2d(x, lambda f: F.conv2d(
                F.interpolate(f, scale_factor=2.0, mode="nearest-exact"), *conv, padding=1))
        elif mode in ("down2d", "down3d"):
            conv = (self.w[p + ".resample.1.weight"], self.w[p + ".resample.1.bias"])
            x = self.frames2d(x, lambda f: F.conv2d(F.pad(f, (0, 1, 0, 1)), *conv, stride=2))
        if mode == "down3d":
            wt, b = self.w[p + ".time_conv.weight"], self.w[p + ".time_conv.bias"]
            if "down_time_padded" in self.p:
                x = F.conv3d(F.pad(x, (0, 0, 0, 0, 2, 0)), wt, b, stride=(2, 1, 1))
            else:
                x = torch.cat([x[:, :, :1], F.conv3d(x, wt, b, stride=(2, 1, 1))], 2)
        return x

    @staticmethod
    def avg_down(x, out_c, ft, fs):
        pad_t = (-x.shape[2]) % ft
        x = F.pad(x, (0, 0, 0, 0, pad_t, 0))
        b, c, t, h, w = x.shape
        x = x.reshape(b, c, t // ft, ft, h // fs, fs, w // fs, fs)
        x = x.permute(0, 1, 3, 5, 7, 2, 4, 6).reshape(b, c * ft * fs * fs, t // ft, h // fs, w // fs)
        return x.reshape(b, out_c, -1, t // ft, h // fs, w // fs).mean(2)

    def dup_up(self, x, out_c, ft, fs):
        b, c, t, h, w = x.shape
        x = x.repeat_interleave(out_c * ft * fs * fs // c, dim=1)
        x = x.reshape(b, out_c, ft, fs, fs, t, h, w).permute(0, 1, 5, 2, 6, 3, 7, 4)
        x = x.reshape(b, out_c, t * ft, h * fs, w * fs)
        if "dup_keep_last" in self.p:
            return x[:, :, : x.shape[2] - (ft - 1)]
        return x[:, :, ft - 1:]

    def patchify(self, x):
        b, c, t, h, w = x.shape
        x = x.reshape(b, c, t, h // 2, 2, w // 2, 2)  # ... q, ..., r
        order = (0, 1, 4, 6, 2, 3, 5) if "patchify_order" in self.p else (0, 1, 6, 4, 2, 3, 5)
        return x.permute(*order).reshape(b, c * 4, t, h // 2, w // 2)

    def unpatchify(self, x):
        b, c4, t, h, w = x.shape
        x = x.reshape(b, c4 // 4, 2, 2, t, h, w)  # (c r q) or, perturbed, (c q r)
        if "patchify_order" in self.p:
            x = x.permute(0, 1, 4, 5, 2, 6, 3)
        else:
            x = x.permute(0, 1, 4, 5, 3, 6, 2)
        return x.reshape(b, c4 // 4, t, 2 * h, 2 * w)

    # -- encoder / decoder ---------------------------------------------------------------
    def encoder(self, x):
        cfg = self.cfg
        mult, nrb, tds = cfg["dim_mult"], cfg["num_res_blocks"], cfg["temporal_downsample"]
        dims = [cfg["dim"]] + [cfg["dim"] * m for m in mult]
        x = self.cconv(x, "encoder.conv1")
        flat = 0
        for i in range(len(mult)):
            down = i != len(mult) - 1
            tdown = i < len(tds) and tds[i]
            mode = ("down3d" if tdown else "down2d") if down else None
            inp = x
            for j in range(nrb):
                p = f"encoder.downsamples.{i}.downsamples.{j}" if self.v22 else f"encoder.downsamples.{flat}"
                flat += 1
                x = self.res(x, p)
            if mode:
                p = f"encoder.downsamples.{i}.downsamples.{nrb}" if self.v22 else f"encoder.downsamples.{flat}"
                flat += 1
                x = self.resample(x, p, mode)
            if self.v22 and "no_shortcut" not in self.p:
                x = x + self.avg_down(inp, dims[i + 1], 2 if (tdown and down) else 1, 2 if down else 1)
        x = self.res(x, "encoder.middle.0")
        x = self.attn(x, "encoder.middle.1")
        x = self.res(x, "encoder.middle.2")
        return self.cconv(F.silu(self.norm(x, "encoder.head.0")), "encoder.head.2")

    def decoder(self, x):
        cfg = self.cfg
        mult, nrb = cfg["dim_mult"], cfg["num_res_blocks"]
        tups = list(reversed(cfg["temporal_downsample"]))
        dd = cfg["decoder_dim"]
        dims = [dd * mult[-1]] + [dd * m for m in reversed(mult)]
        x = self.cconv(x, "decoder.conv1")
        x = self.res(x, "decoder.middle.0")
        x = self.attn(x, "decoder.middle.1")
        x = self.res(x, "decoder.middle.2")
        flat = 0
        for i in range(len(mult)):
            up = i != len(mult) - 1
            tup = i < len(tups) and tups[i]
            inp = x
            for j in range(nrb + 1):
                p = f"decoder.upsamples.{i}.upsamples.{j}" if self.v22 else f"decoder.upsamples.{flat}"
                flat += 1
                x = self.res(x, p)
            if up:
                p = f"decoder.upsamples.{i}.upsamples.{nrb + 1}" if self.v22 else f"decoder.upsamples.{flat}"
                flat += 1
                x = self.resample(x, p, "up3d" if tup else "up2d")
                if self.v22 and "no_shortcut" not in self.p:
                    x = x + self.dup_up(inp, dims[i + 1], 2 if tup else 1, 2)
        return self.cconv(F.silu(self.norm(x, "decoder.head.0")), "decoder.head.2")

    def constants(self, like):
        mean = torch.tensor(self.cfg["mean"], dtype=like.dtype).view(1, -1, 1, 1, 1)
        std = torch.tensor(self.cfg["std"], dtype=like.dtype).view(1, -1, 1, 1, 1)
        if "norm_mean_reversed" in self.p:
            mean = mean.flip(1)
        return mean, std

    def encode(self, video):
        """video [B, 3, 1+4k, H, W] -> normalised mu [B, z, 1+k, H/f, W/f]."""
        x = self.patchify(video) if self.v22 else video
        h = self.encoder(x)
        z = self.cfg["z_dim"]
        mu = F.conv3d(h, self.w["conv1.weight"], self.w["conv1.bias"])[:, :z]
        mean, std = self.constants(mu)
        return (mu - mean) * (1.0 / std)

    def decode(self, latent):
        mean, std = self.constants(latent)
        z = latent / (1.0 / std) + mean
        x = F.conv3d(z, self.w["conv2.weight"], self.w["conv2.bias"])
        y = self.decoder(x)
        if self.v22:
            y = self.unpatchify(y)
        return y.clamp(-1.0, 1.0)


def weight_shapes(cfg):
    """{official name: shape}, independently of the forward code above."""
    v22 = cfg["version"] == "2.2"
    mult, nrb, z = cfg["dim_mult"], cfg["num_res_blocks"], cfg["z_dim"]
    tds = cfg["temporal_downsample"]
    s = {}

    def conv(n, i, o, k):
        s[n + ".weight"] = [o, i] + list(k)
        s[n + ".bias"] = [o]

    def res(p, i, o):
        s[p + ".residual.0.gamma"] = [i, 1, 1, 1]
        conv(p + ".residual.2", i, o, (3, 3, 3))
        s[p + ".residual.3.gamma"] = [o, 1, 1, 1]
        conv(p + ".residual.6", o, o, (3, 3, 3))
        if i != o:
            conv(p + ".shortcut", i, o, (1, 1, 1))

    def mid_head(p, c, head_in, head_out):
        res(p + ".middle.0", c, c)
        s[p + ".middle.1.norm.gamma"] = [c, 1, 1]
        conv(p + ".middle.1.to_qkv", c, 3 * c, (1, 1))
        conv(p + ".middle.1.proj", c, c, (1, 1))
        res(p + ".middle.2", c, c)
        s[p + ".head.0.gamma"] = [head_in, 1, 1, 1]
        conv(p + ".head.2", head_in, head_out, (3, 3, 3))

    d = cfg["dim"]
    dims = [d] + [d * m for m in mult]
    conv("encoder.conv1", 12 if v22 else 3, dims[0], (3, 3, 3))
    flat = 0
    for i in range(len(mult)):
        cin = dims[i]
        for j in range(nrb):
            res(f"encoder.downsamples.{i}.downsamples.{j}" if v22 else f"encoder.downsamples.{flat}",
                cin, dims[i + 1])
            flat += 1
            cin = dims[i + 1]
        if i != len(mult) - 1:
            p = f"encoder.downsamples.{i}.downsamples.{nrb}" if v22 else f"encoder.downsamples.{flat}"
            flat += 1
            conv(p + ".resample.1", dims[i + 1], dims[i + 1], (3, 3))
            if tds[i]:
                conv(p + ".time_conv", dims[i + 1], dims[i + 1], (3, 1, 1))
    mid_head("encoder", dims[-1], dims[-1], 2 * z)
    conv("conv1", 2 * z, 2 * z, (1, 1, 1))
    conv("conv2", z, z, (1, 1, 1))
    dd = cfg["decoder_dim"]
    ddims = [dd * mult[-1]] + [dd * m for m in reversed(mult)]
    tups = list(reversed(tds))
    conv("decoder.conv1", z, ddims[0], (3, 3, 3))
    flat = 0
    for i in range(len(mult)):
        cin = ddims[i] // 2 if (not v22 and i > 0) else ddims[i]
        for j in range(nrb + 1):
            res(f"decoder.upsamples.{i}.upsamples.{j}" if v22 else f"decoder.upsamples.{flat}",
                cin, ddims[i + 1])
            flat += 1
            cin = ddims[i + 1]
        if i != len(mult) - 1:
            p = f"decoder.upsamples.{i}.upsamples.{nrb + 1}" if v22 else f"decoder.upsamples.{flat}"
            flat += 1
            c = ddims[i + 1]
            conv(p + ".resample.1", c, c if v22 else c // 2, (3, 3))
            if tups[i]:
                conv(p + ".time_conv", c, 2 * c, (3, 1, 1))
    mid_head("decoder", ddims[0], ddims[-1], 12 if v22 else 3)
    return s


def random_weights(cfg, gen):
    """Seeded weights keeping activations O(1); the output conv is scaled so decoded pixels
    stay mostly inside the [-1, 1] clamp (a clamped pixel would hide a difference)."""
    out = {}
    for name, shape in weight_shapes(cfg).items():
        if name.endswith(".gamma"):
            t = 1.0 + 0.2 * torch.randn(shape, generator=gen)
        elif name.endswith(".bias"):
            t = 0.05 * torch.randn(shape, generator=gen)
        else:
            fan_in = 1
            for n in shape[1:]:
                fan_in *= n
            t = torch.randn(shape, generator=gen) / fan_in ** 0.5
            if name == "decoder.head.2.weight":
                t = t * 0.3
        out[name] = t
    return out
