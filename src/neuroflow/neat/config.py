"""neat-python's INI configuration: ``Config(DefaultGenome, DefaultReproduction, ...)``.

The file has a ``[NEAT]`` section and one section per type, named after the class
(``[DefaultGenome]``, ``[DefaultSpeciesSet]``, ``[DefaultStagnation]``,
``[DefaultReproduction]``), with neat-python's keys, types and defaults. Errors name the
section and the key, and say what was received and what was expected.

Two differences from neat-python 2.0, both kinder to programs written for 0.92:
``no_fitness_termination`` may be left out of ``[NEAT]`` (0.92 did not have it; it
defaults to ``False``), and a defaulted key gets its default converted to the key's type
(2.0 returns the default unconverted, so a missing ``single_structural_mutation`` reads as
the truthy string ``'false'``).
"""

from __future__ import annotations

import os
from configparser import ConfigParser
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Config",
    "ConfigParameter",
    "DefaultClassConfig",
    "UnknownConfigItemError",
    "write_pretty_params",
]

_TRUE = ("1", "yes", "true", "on")
_FALSE = ("0", "no", "false", "off")
_TYPE_NAMES = {
    int: "an integer",
    float: "a number",
    bool: "True or False",
    str: "a string",
    list: "a space-separated list",
}


class UnknownConfigItemError(NameError):
    """A key that the section does not define (often a typo)."""


@dataclass(eq=False)
class ConfigParameter:
    """One configuration key: its ``name``, ``value_type`` and ``default`` (``None``: required)."""

    name: str
    value_type: type
    default: Any = None
    optional: bool = False

    def __repr__(self) -> str:
        if self.default is None:
            return f"ConfigParameter({self.name!r}, {self.value_type!r})"
        return f"ConfigParameter({self.name!r}, {self.value_type!r}, {self.default!r})"

    def convert(self, value: Any, section: str | None = None) -> Any:
        """``value`` (usually the file's text) as this key's type; a clear error otherwise."""
        where = f"[{section}] " if section else ""
        try:
            if isinstance(value, self.value_type) and self.value_type is not list:
                if not (self.value_type is int and isinstance(value, bool)):
                    return value
            if self.value_type is bool:
                text = str(value).strip().lower()
                if text in _TRUE:
                    return True
                if text in _FALSE:
                    return False
                raise ValueError(text)
            if self.value_type is int:
                return int(str(value).strip())
            if self.value_type is float:
                return float(str(value).strip())
            if self.value_type is list:
                return value.split() if isinstance(value, str) else list(value)
            if self.value_type is str:
                return str(value)
        except (TypeError, ValueError):
            expected = _TYPE_NAMES.get(self.value_type, repr(self.value_type))
            raise ValueError(
                f"Expected configuration item {where}'{self.name}' to be {expected}. "
                f"Received: {self.name} = {value!r}"
            ) from None
        raise TypeError(f"Unexpected configuration type for '{self.name}': {self.value_type!r}")

    def parse(self, section: str, config_parser: ConfigParser) -> Any:
        """This key's value in ``section`` of ``config_parser`` (neat-python's method)."""
        if not config_parser.has_option(section, self.name):
            return self.interpret({}, section)
        return self.convert(config_parser.get(section, self.name), section)

    def interpret(self, config_dict: dict, section_name: str | None = None) -> Any:
        """This key's value in ``config_dict`` (the section's items), or its default."""
        value = config_dict.get(self.name)
        if value is None:
            if self.default is None and not self.optional:
                where = f" in [{section_name}] section" if section_name else ""
                raise ValueError(
                    f"Missing required configuration item{where}: '{self.name}'. "
                    f"Expected `{self.name} = <{_TYPE_NAMES.get(self.value_type, 'value')}>`."
                )
            return None if self.default is None else self.convert(self.default, section_name)
        return self.convert(value, section_name)

    def format(self, value: Any) -> str:
        """The text written for ``value`` by :meth:`Config.save`."""
        return " ".join(value) if self.value_type is list else str(value)


def write_pretty_params(f, config: Any, params: list[ConfigParameter]) -> None:
    """Writes ``name = value`` lines for ``params``, sorted and aligned as neat-python does."""
    width = max(len(p.name) for p in params)
    for p in sorted(params, key=lambda p: p.name):
        f.write(f"{p.name.ljust(width)} = {p.format(getattr(config, p.name))}\n")


def _check_unknown(param_dict: dict, names: list[str], section: str | None) -> None:
    unknown = [k for k in param_dict if k not in names]
    if unknown:
        where = f" (section '{section}')" if section else ""
        raise UnknownConfigItemError(
            f"Unknown{where} configuration item{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(unknown)}. Expected one of: {', '.join(sorted(names))}"
        )


class DefaultClassConfig:
    """The parsed section of a reproduction, species-set or stagnation class."""

    def __init__(self, param_dict: dict, param_list: list[ConfigParameter], section_name=None):
        self._params = param_list
        self._section_name = section_name
        for p in param_list:
            setattr(self, p.name, p.interpret(param_dict, section_name))
        _check_unknown(param_dict, [p.name for p in param_list], section_name)

    @classmethod
    def write_config(cls, f, config) -> None:
        write_pretty_params(f, config, config._params)


class Config:
    """All of a NEAT run's settings, read from neat-python's INI file.

    Args:
        genome_type, reproduction_type, species_set_type, stagnation_type: the classes
            (``neat.DefaultGenome`` ...); each reads the section named after it.
        filename: the configuration file.

    Examples
    --------
    >>> import os, tempfile
    >>> import neuroflow.neat as neat
    >>> path = os.path.join(tempfile.mkdtemp(), "config")
    >>> _ = open(path, "w").write(neat.config_example())
    >>> config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
    ...                      neat.DefaultSpeciesSet, neat.DefaultStagnation, path)
    >>> config.pop_size, config.genome_config.num_inputs, config.genome_config.feed_forward
    (150, 2, True)
    """

    __params = [
        ConfigParameter("pop_size", int),
        ConfigParameter("fitness_criterion", str),
        ConfigParameter("fitness_threshold", float),
        ConfigParameter("reset_on_extinction", bool),
        ConfigParameter("no_fitness_termination", bool, False),
        ConfigParameter("seed", int, None, optional=True),
    ]

    def __init__(
        self,
        genome_type,
        reproduction_type,
        species_set_type,
        stagnation_type,
        filename,
        config_information=None,
    ):
        for name, t in (
            ("genome_type", genome_type),
            ("reproduction_type", reproduction_type),
            ("species_set_type", species_set_type),
            ("stagnation_type", stagnation_type),
        ):
            if not hasattr(t, "parse_config"):
                raise TypeError(
                    f"Expected `{name}` to be a class with a `parse_config` classmethod "
                    f"(such as neat.DefaultGenome). Received: {name}={t!r}"
                )
        self.genome_type = genome_type
        self.reproduction_type = reproduction_type
        self.species_set_type = species_set_type
        self.stagnation_type = stagnation_type
        self.config_information = config_information
        filename = os.fspath(filename)
        if not os.path.isfile(filename):
            raise FileNotFoundError(f"No such config file: {os.path.abspath(filename)}")
        parser = ConfigParser()
        with open(filename) as f:
            parser.read_file(f)
        if not parser.has_section("NEAT"):
            raise ValueError(
                f"'NEAT' section not found in NEAT configuration file {filename!r}. "
                f"Expected a [NEAT] section with pop_size, fitness_criterion, "
                f"fitness_threshold and reset_on_extinction."
            )
        for p in self.__params:
            setattr(self, p.name, p.parse("NEAT", parser))
        _check_unknown(dict(parser.items("NEAT")), [p.name for p in self.__params], "NEAT")
        if self.pop_size < 1:
            raise ValueError(
                f"Expected configuration item [NEAT] 'pop_size' to be a positive integer. "
                f"Received: pop_size = {self.pop_size}"
            )
        if self.fitness_criterion not in ("max", "min", "mean") and not (
            self.no_fitness_termination
        ):
            raise ValueError(
                f"Expected configuration item [NEAT] 'fitness_criterion' to be one of "
                f"'max', 'min', 'mean'. Received: fitness_criterion = {self.fitness_criterion!r}"
            )

        def section(t) -> dict:
            name = t.__name__
            if not parser.has_section(name):
                raise ValueError(
                    f"Section [{name}] not found in NEAT configuration file {filename!r}; "
                    f"it holds the settings of {name}."
                )
            return dict(parser.items(name))

        self.genome_config = genome_type.parse_config(section(genome_type))
        self.species_set_config = species_set_type.parse_config(section(species_set_type))
        self.stagnation_config = stagnation_type.parse_config(section(stagnation_type))
        self.reproduction_config = reproduction_type.parse_config(section(reproduction_type))

    def save(self, filename) -> None:
        """Writes this configuration as an INI file that :class:`Config` reads back."""
        with open(filename, "w") as f:
            f.write("# The `NEAT` section specifies parameters particular to the NEAT algorithm\n")
            f.write("# or the experiment itself.  This is the only required section.\n")
            f.write("[NEAT]\n")
            params = [p for p in self.__params if not (p.optional and self.seed is None)]
            write_pretty_params(f, self, params)
            for t, c in (
                (self.genome_type, self.genome_config),
                (self.species_set_type, self.species_set_config),
                (self.stagnation_type, self.stagnation_config),
                (self.reproduction_type, self.reproduction_config),
            ):
                f.write(f"\n[{t.__name__}]\n")
                t.write_config(f, c)
