"""The shared diffusion core: diffusers UNets and schedulers, DDPM training, DDIM sampling (P3, P4)."""
