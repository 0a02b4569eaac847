"""Generated hostnames in MAAS's style: two lower-case words, e.g. `crisp-hare`.

Our own word lists; uniqueness is checked against the database in one query per batch of
candidates.  With every pair taken, a numeric suffix keeps generating fresh names.
"""

from __future__ import annotations

import secrets

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.db import tables as t

ADJECTIVES = (
    "able", "agile", "amber", "ample", "azure", "bold", "brave", "brisk", "calm", "candid",
    "civic", "clean", "clear", "clever", "cosmic", "cozy", "crisp", "curious", "daring", "deft",
    "eager", "early", "easy", "epic", "exact", "fair", "fancy", "fast", "fine", "firm",
    "fluent", "frank", "fresh", "gentle", "glad", "golden", "grand", "handy", "happy", "hardy",
    "honest", "humble", "ideal", "jolly", "keen", "kind", "lively", "loyal", "lucid", "lucky",
    "mellow", "merry", "mighty", "modern", "neat", "nimble", "noble", "open", "patient", "plucky",
    "polite", "prime", "proud", "quick", "quiet", "rapid", "ready", "regal", "robust", "rosy",
    "ruby", "rustic", "sage", "sharp", "shiny", "silent", "simple", "smart", "snappy", "solid",
    "steady", "sturdy", "sunny", "superb", "swift", "tender", "tidy", "trusty", "upbeat", "usable",
    "valid", "vast", "vivid", "warm", "wise", "witty", "young", "zesty", "brief", "cheery",
)

ANIMALS = (
    "adder", "alpaca", "ant", "badger", "bat", "bear", "beaver", "bee", "bison", "boar",
    "bobcat", "buck", "camel", "carp", "cat", "cobra", "colt", "condor", "cougar", "crab",
    "crane", "crow", "deer", "dingo", "dodo", "dog", "dove", "duck", "eagle", "eel",
    "egret", "elk", "emu", "falcon", "ferret", "finch", "fox", "frog", "gazelle", "gecko",
    "goat", "goose", "gopher", "grouse", "gull", "hare", "hawk", "heron", "hog", "horse",
    "ibex", "ibis", "impala", "jackal", "jay", "kid", "kit", "koala", "lamb", "lark",
    "lemur", "lion", "llama", "lynx", "mako", "mole", "moose", "moth", "mouse", "mule",
    "newt", "ocelot", "orca", "osprey", "otter", "owl", "ox", "panda", "parrot", "pika",
    "pony", "puma", "quail", "rabbit", "raven", "robin", "salmon", "seal", "shark", "sloth",
    "snail", "swan", "tapir", "tiger", "toad", "trout", "turtle", "viper", "walrus", "wren",
)

_BATCH = 16


def candidate(suffix: bool = False) -> str:
    name = f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}"
    return f"{name}-{secrets.randbelow(10000)}" if suffix else name


async def generate_hostname(conn: AsyncConnection) -> str:
    """A generated hostname no node uses yet."""
    for attempt in range(8):
        names = list(dict.fromkeys(candidate(suffix=attempt >= 4) for _ in range(_BATCH)))
        # Case-insensitively, as hostname uniqueness is checked (DNS names ignore case).
        taken = set((await conn.execute(
            select(func.lower(t.node.c.hostname)).where(
                func.lower(t.node.c.hostname) == any_(bindparam("names", names, type_=ARRAY(String))))
        )).scalars())
        free = [n for n in names if n not in taken]
        if free:
            return free[0]
    raise RuntimeError("could not generate a free hostname")  # 128 collisions in a row
