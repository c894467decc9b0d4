"""Historical markings: one innovation number per new structure (NEAT paper, p. 108)."""

from __future__ import annotations

__all__ = ["InnovationTracker"]


class InnovationTracker:
    """Hands out innovation numbers; the same mutation twice in one generation gets one.

    >>> t = InnovationTracker()
    >>> t.get_innovation_number(1, 2), t.get_innovation_number(1, 2), t.get_innovation_number(1, 3)
    (1, 1, 2)
    >>> t.reset_generation(); t.get_innovation_number(1, 2)
    3
    """

    def __init__(self, start_number: int = 0):
        self.global_counter = start_number
        self.generation_innovations: dict = {}

    def get_innovation_number(self, input_node, output_node, mutation_type="add_connection"):
        key = (input_node, output_node, mutation_type)
        number = self.generation_innovations.get(key)
        if number is None:
            self.global_counter += 1
            number = self.generation_innovations[key] = self.global_counter
        return number

    def reset_generation(self) -> None:
        self.generation_innovations.clear()

    def get_current_innovation_number(self) -> int:
        return self.global_counter

    def __repr__(self):
        return (
            f"InnovationTracker(global_counter={self.global_counter}, "
            f"generation_innovations={len(self.generation_innovations)} tracked)"
        )
