"""scriba: an event-driven document pipeline that runs on AWS and offline."""

__version__ = "0.1.0"
