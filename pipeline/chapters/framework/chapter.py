"""Chapter 2, research framework: public-private partnership (PPS) in the social domain.

Prose only (the 2014 report's chapter 2 headings: PPS, vertical and horizontal forms,
horizontal PPS as new in the social domain, bottlenecks and conditions for success), and
how this replication turns the framework into testable claims.
"""

from __future__ import annotations

from pipeline.report.chapter import Chapter

CHAPTER = Chapter(key="framework")
