"""zebench: results store and static report site for AI coding-agent benchmarks."""

__version__ = "0.1.0"
