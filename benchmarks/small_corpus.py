"""A small corpus of four short documents (a harbour, an orchard, a notice with mentions, a glacier
log with one long paragraph), FROST, a question they answer, and more files to make a build take
a while. The bot tests answer from it, and so does the load probe of benchmarks/serving.py.
"""

from __future__ import annotations

from pathlib import Path

HARBOR = """Northport Harbor Expansion

Publication: Coastal Weekly Volume: 3 Issue: 12

The city council of Northport approved a new container terminal on March 3. The terminal will \
cost 40 million euros and is due to open in 2027 (Harbor Gazette, March 4).

Fishermen worried that the construction would disturb the spawning grounds of the local herring. \
The council promised a survey of the seabed before any dredging starts (Radio North, March 5; \
Coastal Weekly, March 6).

The mayor, Ingrid Halvorsen, said the terminal would create about 300 jobs in the first five \
years.
"""

ORCHARD = """# Orchard Cooperative Report

The Lindholm orchard cooperative harvested 1,200 tonnes of apples this autumn, its largest crop \
in a decade (Farm Journal, September 9).

A late frost in April destroyed most of the cherry blossoms, so the cherry harvest failed almost \
completely (Radio North, September 10).

## Prices

Apple prices fell by 12 percent because the whole region had a good harvest.
"""

NOTICE = """Volunteer Club Notice

The volunteers posted @everyone and <@&424242> and <@1234567890> in the club channel to announce \
the beach cleanup day on May 5 (Club Bulletin, May 1).
"""

GLACIER_SENTENCE = (
    "Survey team {n} measured the Brennfjell glacier tongue and found it {m} metres shorter than "
    "the year before. "
)
LONG_PARAGRAPH = "".join(GLACIER_SENTENCE.format(n=i, m=10 + i % 7) for i in range(1, 60))
GLACIER = f"Glacier Survey Log\n\n{LONG_PARAGRAPH.strip()}\n"

DOCS = {
    "harbor.txt": HARBOR,
    "orchard.md": ORCHARD,
    "notice.txt": NOTICE,
    "glacier.txt": GLACIER,
}

FROST = "What failed because of the late frost in April?"


def write_corpus(folder: Path) -> Path:
    """The four documents, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def grow_corpus(corpus: Path, files: int = 8) -> None:
    """Enough new text that a build takes a while: every file must be embedded."""
    for i in range(files):
        body = " ".join(
            f"Report {i} notes that the river barge number {j} carried {i * j} crates of timber."
            for j in range(30)
        )
        (corpus / f"barges-{i}.txt").write_text(f"Barge Report {i}\n\n{body}\n", encoding="utf-8")
