"""gbtt: infrastructure as code for the online-meeting network of Hà Giang province."""

__version__ = "0.1.0"
