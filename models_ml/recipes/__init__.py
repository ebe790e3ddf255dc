"""Every model Kizuna trains, declared as a recipe (:class:`models_ml.recipe.Recipe`), in
the order they are trained and their tables scored."""

from __future__ import annotations

from models_ml.recipe import Recipe
from models_ml.recipes.cross_sell import CROSS_SELL
from models_ml.recipes.lead_scoring import LEAD_OPPORTUNITY_90D
from models_ml.recipes.lookalike import LOOKALIKE
from models_ml.recipes.propensity import OPPORTUNITY_90D, WON_90D

RECIPES: tuple[Recipe, ...] = (OPPORTUNITY_90D, WON_90D, LOOKALIKE, CROSS_SELL,
                                LEAD_OPPORTUNITY_90D)
#: The models whose evaluation is a metric table of probabilities (the report's charts).
PROPENSITY_MODELS = (OPPORTUNITY_90D.name, WON_90D.name)


def recipe(name: str) -> Recipe:
    """The recipe of the model ``name``."""
    for candidate in RECIPES:
        if candidate.name == name:
            return candidate
    raise ValueError(f"unknown model {name!r}: one of "
                     f"{', '.join(r.name for r in RECIPES)}")
