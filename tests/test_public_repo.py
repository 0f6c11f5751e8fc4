"""A programme as a public repository on GitHub Free holds it (issue 14), end to end with real tools:
`circlepress new`, `keys new`, a CI identity from `age-keygen`, private circles sealed before any
commit, real git history, a build whose only secret is CIRCLEPRESS_AGE_KEY, the printed link opened
in Chromium, and `rotate` shutting the old link out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, require_tool

from browser_support import BASE_URL, SITE_DIR_NAME, serve

TIMEOUT = 15_000
# What only the circles' members and the coordinator may read: none of it may reach any commit.
LAB_NAME = "Zofia Wróblewska-Quist"
SECRETS_LAB = {
    "Your Name": LAB_NAME,
    "A Colleague": "Tomasz Kettleby-Nguyen",
    "# email: you@example.org": "email: zofia.wq@example.org",
    "Funding opportunities": "Leaving the Harlan lab quietly",
    "agreement:\n  agreed: []": "agreement:\n  text: |\n    We never repeat what Harlan said about the merger.\n  agreed: []",
    "  # evaluation: https://forms.example.org/your-form": "  evaluation: https://forms.example.org/lab-2027",
}
PAGE = "---\ntitle: Reading list\n---\nOur shortlist: the Okonkwo-Brandt fellowship.\n"
PASSPHRASE = "cobalt walrus ledger minnow"
SECRETS_BOARD = {
    "Your Name": "Ingrid Halvorsen-Obi",
    "A Colleague": "Priyanka Sandoval-Reyes",
    "  # passphrase: four or more random words": f"  passphrase: {PASSPHRASE}",
    "  # evaluation: https://forms.example.org/your-form": "  evaluation: https://forms.example.org/board-2027",
}
CHANGED_TOPIC = "Negotiating with the Delacroix committee"


def run(cmd: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def clean_env(config: Path, **extra: str) -> dict[str, str]:
    """This process's environment with no age identity or site secret, its own XDG_CONFIG_HOME,
    and `extra` added."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CIRCLEPRESS_SECRET", "CIRCLEPRESS_AGE_KEY", "CIRCLEPRESS_AGE_KEY_FILE")}
    env.update(XDG_CONFIG_HOME=str(config), SOURCE_DATE_EPOCH=str(int(NOW.timestamp())),
               GIT_AUTHOR_NAME="Coordinator", GIT_AUTHOR_EMAIL="coordinator@example.org",
               GIT_COMMITTER_NAME="Coordinator", GIT_COMMITTER_EMAIL="coordinator@example.org", **extra)
    return env


def circlepress(*args: str, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "circlepress.cli", *args], cwd, env, check)


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return run(["git", *args], cwd, env).stdout


def unseal(repo: Path, slug: str, env: dict[str, str], change=lambda text: text) -> None:
    """sites/SLUG/circle.yaml.age back to plaintext with `circlepress decrypt`, `change`d, not committed."""
    sealed = repo / "sites" / slug / "circle.yaml.age"
    plain = circlepress("decrypt", str(sealed), cwd=repo, env=env).stdout
    sealed.unlink()
    sealed.with_suffix("").write_text(change(plain), "utf-8")


def fill(path: Path, replacements: dict[str, str]) -> None:
    text = path.read_text("utf-8")
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the circle `new circle` writes"
        text = text.replace(old, new)
    path.write_text(text, "utf-8")


def access_key(circle_yaml: Path) -> str:
    return access_key_of(circle_yaml.read_text("utf-8"))


def private_link(links_output: str, slug: str) -> str:
    """The share link that `circlepress links` prints under the circle `slug`."""
    lines = links_output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == [slug])
    return next(line.strip() for line in lines[at + 1:] if "#k=" in line)


def leaks(repo: Path, env: dict[str, str], secrets: list[str]) -> list[str]:
    """Each secret found in any file of any commit (git grep), in `git log -p`, or in any object's
    bytes (git cat-file), as 'secret: where'."""
    found = []
    commits = git("rev-list", "--all", cwd=repo, env=env).split()
    assert len(commits) >= 3
    for secret in secrets:
        for commit in commits:
            grep = run(["git", "grep", "-I", "-F", "-l", "-e", secret, commit], repo, env, check=False)
            assert grep.returncode in (0, 1), grep.stderr
            found += [f"{secret!r}: {line}" for line in grep.stdout.splitlines()]
    log = subprocess.run(["git", "log", "-p", "--all", "--no-textconv"], cwd=repo, env=env,
                         capture_output=True, check=True).stdout
    found += [f"{s!r}: git log -p" for s in secrets if s.encode("utf-8") in log]
    blobs = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo, env=env,
                           capture_output=True, check=True).stdout
    found += [f"{s!r}: a git object" for s in secrets if s.encode("utf-8") in blobs]
    return found


@pytest.fixture
def tools():
    require_tool(shutil.which("age-keygen") is not None, "the age command-line tool (Debian package age)")
    require_tool(shutil.which("git") is not None, "git")


def test_a_public_repository_holds_nothing_private_and_publishes_with_one_secret(tmp_path, tools, browser):
    coordinator = clean_env(tmp_path / "coordinator-config")
    repo = tmp_path / "our-circles"

    # The coordinator starts the programme and an identity for this computer.
    circlepress("new", str(repo), cwd=tmp_path, env=coordinator)
    mine = circlepress("keys", "new", cwd=repo, env=coordinator).stdout
    coordinator_key = re.search(r"^(age1\w+)$", mine, re.M).group(1)
    coordinator_identity = (tmp_path / "coordinator-config/circlepress/age/keys.txt").read_text("utf-8")
    # The publishing workflow's own identity, made by the real age-keygen, outside the repository.
    ci_file = tmp_path / "ci-identity.txt"
    run(["age-keygen", "-o", str(ci_file)], tmp_path, coordinator)
    ci_key = run(["age-keygen", "-y", str(ci_file)], tmp_path, coordinator).stdout.strip()
    ci_identity = ci_file.read_text("utf-8")
    with (repo / "recipients.txt").open("a", encoding="utf-8") as recipients:
        recipients.write(f"# the coordinator\n{coordinator_key}\n# the publishing workflow (CIRCLEPRESS_AGE_KEY)\n{ci_key}\n")

    # Commit 1: the programme (its starter circle is a public, fictional one; it fails closed).
    assert "require_sealed: true" in (repo / "circlepress.yaml").read_text("utf-8")
    git("init", "-q", "-b", "main", cwd=repo, env=coordinator)
    git("add", "-A", cwd=repo, env=coordinator)
    git("commit", "-q", "-m", "A new programme", cwd=repo, env=coordinator)

    # Commit 2: two private circles, filled in, sealed before they are added.
    circlepress("new", "circle", "lab", cwd=repo, env=coordinator)
    circlepress("new", "circle", "board", cwd=repo, env=coordinator)
    fill(repo / "sites/lab/circle.yaml", SECRETS_LAB)
    fill(repo / "sites/board/circle.yaml", SECRETS_BOARD)
    (repo / "sites/lab/reading.md").write_text(PAGE, "utf-8")
    keys = [access_key(repo / "sites/lab/circle.yaml"), access_key(repo / "sites/board/circle.yaml")]
    circlepress("seal", "--all", cwd=repo, env=coordinator)
    assert sorted(p.name for p in (repo / "sites/lab").iterdir()) == ["circle.yaml.age", "reading.md.age"]
    git("add", "-A", cwd=repo, env=coordinator)
    git("commit", "-q", "-m", "Two circles", cwd=repo, env=coordinator)

    # Commit 3: a change to a sealed circle (decrypted, edited, sealed again: never committed plain).
    unseal(repo, "lab", coordinator, lambda text: text.replace("Networking", CHANGED_TOPIC))
    circlepress("seal", "lab", cwd=repo, env=coordinator)
    git("add", "-A", cwd=repo, env=coordinator)
    git("commit", "-q", "-m", "New topic", cwd=repo, env=coordinator)

    secrets = [*[v for v in [*SECRETS_LAB.values(), *SECRETS_BOARD.values()] if "\n" not in v], CHANGED_TOPIC,
               "Okonkwo-Brandt", "zofia.wq@example.org", "Harlan said about the merger", *keys,
               coordinator_identity.split("AGE-SECRET-KEY-")[1][:40], ci_identity.split("AGE-SECRET-KEY-")[1][:40]]
    assert leaks(repo, coordinator, secrets) == []
    assert git("ls-files", "sites", cwd=repo, env=coordinator).split() == sorted(
        ["sites/board/circle.yaml.age", "sites/lab/circle.yaml.age", "sites/lab/reading.md.age",
         "sites/our-first-circle/circle.yaml"])

    # The workflow: a fresh checkout, only CIRCLEPRESS_AGE_KEY, no default identity file.
    checkout = tmp_path / "checkout"
    git("clone", "-q", str(repo), str(checkout), cwd=tmp_path, env=coordinator)
    workflow = clean_env(tmp_path / "empty-config", CIRCLEPRESS_AGE_KEY=ci_identity)
    assert not (tmp_path / "empty-config").exists()
    parent = tmp_path / "published"
    out = parent / SITE_DIR_NAME

    def publish() -> None:
        circlepress("build", "--strict", "--base-url", BASE_URL, "--out", str(out), cwd=checkout, env=workflow)

    publish()
    # Without the identity the same build refuses (so the one above really opened the sealed files).
    refused = circlepress("build", "--strict", "--base-url", BASE_URL, "--out", str(tmp_path / "no"),
                          cwd=checkout, env=clean_env(tmp_path / "empty-config"), check=False)
    assert refused.returncode == 1 and "circle.yaml.age" in refused.stdout + refused.stderr
    site_text = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert [s for s in secrets if s.encode("utf-8") in site_text] == []

    context = browser.new_context()
    context.set_default_timeout(TIMEOUT)
    tab = context.new_page()
    try:
        with serve(parent) as host:
            base = host + BASE_URL
            old_link = private_link(circlepress("links", "--base-url", base, cwd=checkout, env=workflow).stdout, "lab")
            assert old_link == private_link(
                circlepress("links", "--base-url", base, cwd=repo, env=coordinator).stdout, "lab"), \
                "links prints the same link wherever the circle can be read"
            tab.goto(old_link)
            opened(tab, "Lab Circle")
            assert LAB_NAME in tab.content() and CHANGED_TOPIC in tab.content()

            # A member leaves: the coordinator rotates, commits; the workflow builds again.
            # (`rotate` does not yet open a sealed circle: test_rotate_a_sealed_circle; so unseal first.)
            unseal(repo, "lab", coordinator)
            circlepress("rotate", "lab", cwd=repo, env=coordinator)
            secrets.append(access_key(repo / "sites/lab/circle.yaml"))
            circlepress("seal", "lab", cwd=repo, env=coordinator)
            git("commit", "-q", "-am", "Rotate lab", cwd=repo, env=coordinator)
            git("pull", "-q", cwd=checkout, env=coordinator)
            publish()
            new_link = private_link(circlepress("links", "--base-url", base, cwd=checkout, env=workflow).stdout, "lab")
            assert new_link != old_link
            old_folder = old_link.split(BASE_URL, 1)[1].split("#")[0]
            assert not (out / old_folder).exists(), "the old link's folder is gone from the output"

            old = context.new_page()
            response = old.goto(old_link)
            assert response.status == 404
            assert LAB_NAME not in old.content()

            # The old key on the new folder: only the locked page.
            wrong = context.new_page()
            wrong.goto(new_link.split("#")[0] + "#" + old_link.split("#", 1)[1])
            wrong.wait_for_selector("#unlock:not([hidden])")
            assert LAB_NAME not in wrong.content()

            fresh = context.new_page()
            fresh.goto(new_link)
            opened(fresh, "Lab Circle")
            assert LAB_NAME in fresh.content()
    finally:
        context.close()
    assert leaks(repo, coordinator, secrets) == []


def opened(page, heading: str) -> None:
    page.wait_for_function(
        "h => document.querySelector('h1') && document.querySelector('h1').textContent.trim() === h", arg=heading)


def test_seal_all_under_require_sealed(tmp_path, tools):
    """A programme from `circlepress new` fails closed (require_sealed), and `seal --all` still
    seals a private circle just made in plain text (a key written into it first if it had none)."""
    env = clean_env(tmp_path / "config")
    repo = tmp_path / "p"
    circlepress("new", str(repo), cwd=tmp_path, env=env)
    assert "require_sealed: true" in (repo / "circlepress.yaml").read_text("utf-8")
    key = re.search(r"^(age1\w+)$", circlepress("keys", "new", cwd=repo, env=env).stdout, re.M).group(1)
    with (repo / "recipients.txt").open("a", encoding="utf-8") as recipients:
        recipients.write(key + "\n")
    circlepress("new", "circle", "lab", cwd=repo, env=env)
    circlepress("seal", "--all", cwd=repo, env=env)
    assert sorted(p.name for p in (repo / "sites/lab").iterdir()) == ["circle.yaml.age"]
    assert (repo / "sites/our-first-circle/circle.yaml").is_file()  # public: never sealed


def test_rotate_a_sealed_circle(tmp_path, tools):
    """`circlepress rotate SLUG` on a sealed circle writes a new key back sealed."""
    env = clean_env(tmp_path / "config")
    repo = tmp_path / "p"
    circlepress("new", str(repo), cwd=tmp_path, env=env)
    key = re.search(r"^(age1\w+)$", circlepress("keys", "new", cwd=repo, env=env).stdout, re.M).group(1)
    with (repo / "recipients.txt").open("a", encoding="utf-8") as recipients:
        recipients.write(key + "\n")
    circlepress("new", "circle", "lab", "--sealed", cwd=repo, env=env)
    sealed = repo / "sites/lab/circle.yaml.age"
    before = circlepress("decrypt", str(sealed), cwd=repo, env=env).stdout
    circlepress("rotate", "lab", cwd=repo, env=env)
    assert not sealed.with_suffix("").exists()
    assert access_key_of(circlepress("decrypt", str(sealed), cwd=repo, env=env).stdout) != access_key_of(before)


def access_key_of(text: str) -> str:
    return re.search(r"^  key: (\S{43})$", text, re.M).group(1)
