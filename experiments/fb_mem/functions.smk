# Helper functions of fb_mem/rules.smk (kept apart: snakemake --lint).


FBM = config.get("fb_mem", {})


def fb_mem_train_spec(w):
    return spec({**FBM["train"], "seed": int(w.train_seed)})


def fb_mem_eval_spec(w):
    return spec({**FBM["evaluate"], "train": {**FBM["train"], "seed": int(w.train_seed)}, "sample_seed": int(w.sample_seed)})


FBM_RUNS = expand("results/fb_mem/train_seed={t}/sample_seed={s}/{{f}}", t=FBM.get("train_seeds", []), s=FBM.get("sample_seeds", []))


