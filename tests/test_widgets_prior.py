"""Every widget that draws latents draws them from the model's own prior, as training does."""

import numpy as np

from gan_course import widgets

LATENT = 8
_W = np.random.default_rng(7).standard_normal((LATENT, 36)).astype(np.float32)


class CodedModel:
    """An InfoGAN-like model: its latent ends in a one-hot category, never Gaussian noise."""

    latent_dim = LATENT

    def latents(self, n, seed=0):
        rng = np.random.default_rng(seed)
        return np.concatenate([rng.standard_normal((n, LATENT - 3)),
                               np.eye(3)[rng.integers(0, 3, n)]], axis=1).astype("f4")

    def decode(self, z, labels=None):
        images = (1 / (1 + np.exp(-np.asarray(z, np.float32) @ _W))).reshape(-1, 6, 6, 1)
        return images if labels is None else images * 0.5


class RunOf:
    """What gc.train returns: ``run.decode`` belongs to a run whose ``model`` has the prior."""

    def __init__(self, model):
        self.model = model

    def decode(self, z, *labels):
        return self.model.decode(z, *labels)


def from_prior(z):
    z = np.atleast_2d(z)
    return set(np.unique(z[:, -3:])) <= {0.0, 1.0} and (z[:, -3:].sum(axis=1) == 1).all()


def test_interpolation_player_endpoints_come_from_the_models_prior():
    for decode in (CodedModel().decode, RunOf(CodedModel()).decode):
        p = widgets.InterpolationPlayer(decode, LATENT, seed=1)
        assert from_prior(p.z0) and from_prior(p.z1)
        p.new_button.click()
        assert from_prior(p.z0) and from_prior(p.z1)


def test_an_explicit_prior_wins_and_plain_functions_keep_the_gaussian():
    model = CodedModel()
    p = widgets.InterpolationPlayer(lambda z: model.decode(z), LATENT, seed=1, sample=model.latents)
    assert from_prior(p.z0)
    plain = widgets.InterpolationPlayer(lambda z: model.decode(z), LATENT, seed=1)
    assert not from_prior(plain.z0)  # no model to ask: N(0, I)
    explorer = widgets.LatentExplorer(RunOf(model).decode, LATENT, n_directions=2,
                                      n_pca_samples=60)
    assert from_prior(explorer.base)
