"""The agents: the LLM client, the offline designer with its generator and template libraries,
and the designer, tester, judge and critic nodes (plain functions ``state -> partial state``)."""

__all__: list[str] = []
