"""Reference flow-matching samplers: shifted schedule, Euler, UniPC (bh2, order 2) and CFG.

Written from the published method (the official Wan FlowUniPCMultistepScheduler: predict_x0,
solver_type bh2, solver_order 2, lower_order_final, corrector on, final sigma 0). The solver runs
in float64 on the schedule's float32 sigma values (the official scheduler keeps sigmas in
float32); the model timestep is trunc(sigma * 1000) taken from the float64 shifted sigma.

Flow matching: x_sigma = (1 - sigma) x0 + sigma noise, the model predicts v = noise - x0, so
x0 = x - sigma v.
"""
import math

import numpy as np
import torch

# The official scheduler's training sigmas run from 1 - 1/1000 (stored as float32) down to 0.
SIGMA_MAX = float(np.float32(1.0 - 1.0 / 1000))

SAMPLER_PERTURBATIONS = {
    "t_no_trunc": "model timestep sigma*1000 without truncation",
    "solver_swap": "the other solver (Euler for UniPC, UniPC for Euler)",
    "no_corrector": "UniPC without the UniC corrector",
    "cfg_cond_base": "CFG as cond + g*(cond - uncond) instead of uncond + g*(cond - uncond)",
    "sigma_max_one": "schedule starting at sigma 1.0 instead of 0.999 (Euler only)",
    "shift_inverted": "shift applied as sigma/(s - (s-1) sigma) instead of s sigma/(1 + (s-1) sigma)",
}


def schedule(steps, shift, perturb=()):
    """Returns (sigmas: N+1 floats ending in 0, as float32 values; timesteps: N model timesteps)."""
    start = 1.0 if "sigma_max_one" in perturb else SIGMA_MAX
    base = np.linspace(start, 0.0, steps + 1)[:-1]
    if "shift_inverted" in perturb:
        shifted = base / (shift - (shift - 1.0) * base)
    else:
        shifted = shift * base / (1.0 + (shift - 1.0) * base)
    if "t_no_trunc" in perturb:
        timesteps = [float(s * 1000.0) for s in shifted]
    else:
        timesteps = [float(math.trunc(s * 1000.0)) for s in shifted]
    sigmas = [float(np.float32(s)) for s in shifted] + [0.0]
    return sigmas, timesteps


def cfg_combine(cond, uncond, guidance, perturb=()):
    if "cfg_cond_base" in perturb:
        return cond + guidance * (cond - uncond)
    return uncond + guidance * (cond - uncond)


def _lam(sigma):
    """log-SNR lambda = log(alpha) - log(sigma) with alpha = 1 - sigma."""
    return math.log(1.0 - sigma) - math.log(sigma)


def _keep(x):
    return x


def euler(velocity, noise, sigmas, timesteps, after_step=_keep):
    x = after_step(noise.to(torch.float64))
    for i, t in enumerate(timesteps):
        v = velocity(x, t, i).to(torch.float64)
        x = after_step(x + (sigmas[i + 1] - sigmas[i]) * v)
    return x


def _unipc_predict(x, sigmas, i, order, m):
    """UniP step from sigmas[i] to sigmas[i+1]; m = x0 predictions, m[-1] at step i."""
    s_t, s_0 = sigmas[i + 1], sigmas[i]
    m0 = m[-1]
    if s_t == 0.0:
        # lambda_t = +inf: h*phi_1 = B(h) = -1 and x_t = x0 prediction (only order 1 gets here).
        assert order == 1
        return m0
    a_t = 1.0 - s_t
    h = _lam(s_t) - _lam(s_0)
    hh = -h
    h_phi_1 = math.expm1(hh)
    b_h = math.expm1(hh)  # bh2
    x_t = (s_t / s_0) * x - a_t * h_phi_1 * m0
    if order == 2:
        rk = (_lam(sigmas[i - 1]) - _lam(s_0)) / h
        d1 = (m[-2] - m0) / rk
        x_t = x_t - a_t * b_h * 0.5 * d1  # order 2 predictor: rho = 1/2
    return x_t


def _unipc_correct(x_prev, x_now, model_now, sigmas, i, order, m):
    """UniC correction of x_now (at sigmas[i]) using the new x0 prediction model_now;
    m[-1] is the x0 prediction at step i-1, x_prev the sample at step i-1."""
    s_t, s_0 = sigmas[i], sigmas[i - 1]
    m0 = m[-1]
    a_t = 1.0 - s_t
    h = _lam(s_t) - _lam(s_0)
    hh = -h
    h_phi_1 = math.expm1(hh)
    b_h = math.expm1(hh)
    rks = []
    d1s = []
    if order == 2:
        rk = (_lam(sigmas[i - 2]) - _lam(s_0)) / h
        rks.append(rk)
        d1s.append((m[-2] - m0) / rk)
    rks.append(1.0)
    # rho solves R rho = b with R[k][j] = rks[j]^k, b_k = (h phi_{k+1}(h)) k! / B(h), the
    # phi functions built by the recurrence phi_{k+1} = (phi_k - 1/k!) / hh.
    h_phi_k = h_phi_1 / hh - 1.0
    fact = 1
    R, b = [], []
    for k in range(1, order + 1):
        R.append([r ** (k - 1) for r in rks])
        b.append(h_phi_k * fact / b_h)
        fact *= k + 1
        h_phi_k = h_phi_k / hh - 1.0 / fact
    if order == 1:
        rhos = [0.5]
    else:
        rhos = list(np.linalg.solve(np.array(R), np.array(b)))
    corr = 0.0
    for rho, d1 in zip(rhos[:-1], d1s):
        corr = corr + rho * d1
    x_t = (s_t / s_0) * x_prev - a_t * h_phi_1 * m0
    return x_t - a_t * b_h * (corr + rhos[-1] * (model_now - m0))


def unipc(velocity, noise, sigmas, timesteps, corrector=True, solver_order=2, after_step=_keep):
    """after_step (TI2V's first-frame re-insertion) acts on each predictor output, as the
    official loop does after scheduler.step; the corrector works inside the step."""
    x = after_step(noise.to(torch.float64))
    n = len(timesteps)
    m = []
    last_sample = None
    this_order = 0
    lower_order_nums = 0
    for i, t in enumerate(timesteps):
        v = velocity(x, t, i).to(torch.float64)
        x0 = x - sigmas[i] * v
        if corrector and i > 0 and last_sample is not None:
            x = _unipc_correct(last_sample, x, x0, sigmas, i, this_order, m)
        m = (m + [x0])[-solver_order:]
        this_order = min(solver_order, n - i, lower_order_nums + 1)  # lower_order_final + warm-up
        last_sample = x
        x = after_step(_unipc_predict(x, sigmas, i, this_order, m))
        lower_order_nums = min(lower_order_nums + 1, solver_order)
    return x


def sample(forward, noise, steps, shift, guidance, solver, perturb=(), first_frame=None,
           patch=(1, 2, 2)):
    """forward(x, t_model, cond: bool) -> velocity, t_model a float, or with first_frame
    (Wan2.2 TI2V: latent frame 0 fixed to first_frame [C,1,H,W] before and after every step)
    a per-token tensor [L] that is 0 on frame 0's tokens. Returns the final latent (float64)."""
    perturb = set(perturb)
    unknown = perturb - set(SAMPLER_PERTURBATIONS)
    if unknown:
        raise ValueError(f"unknown sampler perturbation(s) {sorted(unknown)}")
    if solver not in ("euler", "unipc"):
        raise ValueError(f"solver {solver!r}; allowed: euler, unipc")
    if "solver_swap" in perturb:
        solver = "euler" if solver == "unipc" else "unipc"
    sigmas, timesteps = schedule(steps, shift, perturb)
    after_step = _keep
    if first_frame is not None:
        z = first_frame.to(torch.float64)
        C, Fr, H, W = noise.shape
        per_frame = (H // patch[1]) * (W // patch[2])

        def after_step(x):
            x = x.clone()
            x[:, :1] = z
            return x

    def velocity(x, t, i):
        if first_frame is not None:
            tokens = torch.full(((Fr // patch[0]) * per_frame,), float(t))
            tokens[:per_frame] = 0.0
            t = tokens
        xf = x.to(torch.float32)
        cond = forward(xf, t, True).to(torch.float64)
        if guidance == 1.0:
            return cond
        uncond = forward(xf, t, False).to(torch.float64)
        return cfg_combine(cond, uncond, guidance, perturb)

    if solver == "euler":
        return euler(velocity, noise, sigmas, timesteps, after_step=after_step)
    return unipc(velocity, noise, sigmas, timesteps, corrector="no_corrector" not in perturb,
                 after_step=after_step)
