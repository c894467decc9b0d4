"""neat-python's INI configuration: same values as neat-python, clear errors."""

from __future__ import annotations

import pytest

import neuroflow.neat as neat
from tests.conftest import peer
from tests.neat._helpers import load, write_config

OLD_092 = "\n".join(
    line
    for line in neat.config_example().splitlines()
    if not line.startswith(
        (
            "no_fitness_termination",
            "single_structural",
            "structural_mutation",
            "bias_init_type",
            "response_init_type",
            "weight_init_type",
            "enabled_rate_to",
            "min_species_size",
        )
    )
)


def test_example_config_values_match_neat_python(tmp_path):
    pn = peer("neat")
    path = write_config(tmp_path)
    ours, theirs = load(path), load(path, pn)
    for name in (
        "pop_size",
        "fitness_criterion",
        "fitness_threshold",
        "reset_on_extinction",
        "no_fitness_termination",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    names = [p.name for p in theirs.genome_config._params]
    assert sorted(names) == sorted(p.name for p in ours.genome_config._params)
    for name in names:
        assert getattr(ours.genome_config, name) == getattr(theirs.genome_config, name), name
    for section in ("species_set_config", "stagnation_config", "reproduction_config"):
        for p in getattr(theirs, section)._params:
            assert getattr(getattr(ours, section), p.name) == getattr(
                getattr(theirs, section), p.name
            )
    assert ours.genome_config.input_keys == [-1, -2] and ours.genome_config.output_keys == [0]


def test_neat_python_092_config_loads_with_defaults(tmp_path):
    config = load(write_config(tmp_path, OLD_092))
    assert config.no_fitness_termination is False
    assert config.genome_config.single_structural_mutation is False  # a bool, not 'false'
    assert config.genome_config.weight_init_type == "gaussian"
    assert config.reproduction_config.min_species_size == 1


def test_save_round_trip(tmp_path):
    config = load(write_config(tmp_path))
    config.save(tmp_path / "saved")
    again = load(tmp_path / "saved")
    for p in config.genome_config._params:
        assert getattr(again.genome_config, p.name) == getattr(config.genome_config, p.name)


@pytest.mark.parametrize(
    "old, new, pattern",
    [
        ("pop_size              = 150\n", "", r"\[NEAT\].*'pop_size'"),
        ("num_inputs              = 2\n", "", r"\[DefaultGenome\].*'num_inputs'"),
        (
            "num_inputs              = 2",
            "num_inputs = two",
            r"\[DefaultGenome\] 'num_inputs'.*'two'",
        ),
        (
            "feed_forward            = True",
            "feed_forward = maybe",
            r"'feed_forward'.*True or False",
        ),
        ("compatibility_threshold = 3.0\n", "", r"\[DefaultSpeciesSet\].*compatibility_threshold"),
        (
            "initial_connection      = full",
            "initial_connection = everything",
            r"initial_connection",
        ),
        ("activation_options      = sigmoid", "activation_options = sigmoid nope", r"'nope'"),
        ("species_fitness_func = max", "species_fitness_func = best", r"species_fitness_func"),
        ("fitness_criterion     = max", "fitness_criterion = most", r"fitness_criterion"),
        ("bias_max_value          = 30.0", "bias_max_value = -40.0", r"bias_min_value"),
    ],
)
def test_bad_config_names_section_key_and_value(tmp_path, old, new, pattern):
    text = neat.config_example()
    assert old in text
    with pytest.raises(ValueError, match=pattern):
        load(write_config(tmp_path, text.replace(old, new)))


def test_unknown_key_missing_section_and_file(tmp_path):
    text = neat.config_example()
    with pytest.raises(neat.UnknownConfigItemError, match="pop_sise"):
        load(write_config(tmp_path, text.replace("[NEAT]\n", "[NEAT]\npop_sise = 3\n")))
    with pytest.raises(ValueError, match=r"\[DefaultStagnation\]"):
        load(write_config(tmp_path, text.replace("[DefaultStagnation]", "[Stagnation]")))
    with pytest.raises(FileNotFoundError, match="No such config file"):
        load(tmp_path / "missing")
    with pytest.raises(TypeError, match="parse_config"):
        neat.Config(
            object,
            neat.DefaultReproduction,
            neat.DefaultSpeciesSet,
            neat.DefaultStagnation,
            str(write_config(tmp_path)),
        )
