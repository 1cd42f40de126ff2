"""The content stage: sentences, summaries (extractive, lead, LLM), clustering into stories,
and composing one subscriber's digest.  Pure: data in, data out.

It may import digest.records, digest.text, digest.errors and digest.config's types; no
network, web or database library (the LLM's HTTP lives in digest.pipeline.chat).
"""
