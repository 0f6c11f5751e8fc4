"""Private circles: keys from each circle's own access.key, sealing, rotation, leak scans and `circlepress links`."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag

from circlepress.build.pipeline import build
from circlepress.build.load import load_site
from circlepress.cli import main
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError
from circlepress.programme.schema import MAX_MEMBERS, MAX_SESSIONS
from circlepress.private.keys import (PAD_FLOOR, b64, derive_keys, envelope, new_key, pad, page_aad, read_sealed, seal,
                                 seal_page, unb64, unpack, unpad, unseal)
from circlepress.private.keys import open_page as open_sealed

from conftest import NOW, REPO, VALID_CIRCLE
from private_support import keys_for, open_page, payload, private, test_key

KEY = unb64(test_key("lab"))
PRIVATE = "early-independence"


def test_round_trip_and_every_tampering_fails_cleanly():
    keys = derive_keys(KEY, None)
    sealed = seal_page(keys, envelope(keys, None), "calendar/index.html", "<p>Hello</p>")
    content_key = unseal(keys.link_key, "circlepress:wrap:v1:" + keys.token, sealed["wrap"])
    assert content_key == keys.content_key
    aad = page_aad(keys.token, "calendar/index.html")
    assert open_sealed(content_key, sealed, "calendar/index.html") == "<p>Hello</p>"
    assert unpack(unseal(content_key, aad, sealed["page"])) == "<p>Hello</p>"
    tampered = dict(sealed["page"], ct=sealed["page"]["ct"][:-2] + ("AA" if sealed["page"]["ct"][-2:] != "AA" else "BB"))
    with pytest.raises(InvalidTag):
        unseal(content_key, aad, tampered)
    with pytest.raises(InvalidTag):  # a wrong key
        unseal(derive_keys(unb64(test_key("other")), None).content_key, aad, sealed["page"])
    with pytest.raises(InvalidTag):  # the right ciphertext served at another page's path
        unseal(content_key, page_aad(keys.token, "topics/index.html"), sealed["page"])
    with pytest.raises(InvalidTag):  # a wrong link key cannot unwrap the content key
        unseal(derive_keys(KEY, "quiet river seven lanterns").link_key, "circlepress:wrap:v1:" + keys.token, sealed["wrap"])


def test_nonces_are_synthetic_never_reused_for_other_content():
    key = derive_keys(KEY, None).content_key
    same = [seal(key, "p", b"page one") for _ in range(2)]
    assert same[0] == same[1]  # unchanged content: byte-identical between builds
    nonces = {seal(key, aad, text)["iv"] for aad in ("p", "q") for text in (b"page one", b"page two", b"")}
    assert len(nonces) == 6


def test_addresses_are_stable_long_and_depend_only_on_the_key_and_passphrase():
    """No slug, folder or number goes in: only the key itself brings an old address back, and a
    changed passphrase (or a first one) changes the folder and every key."""
    first, again = derive_keys(KEY, None), derive_keys(bytes(KEY), None)
    assert first == again
    assert len(first.token) == 24 and len(first.link_key) == 32 and len(first.content_key) == 32
    other = derive_keys(unb64(new_key()), None)
    assert other.token != first.token and other.link_key != first.link_key and other.content_key != first.content_key
    for passphrase in ("quiet river seven lanterns", "based native left including"):
        changed = derive_keys(KEY, passphrase)
        assert changed.token != first.token and changed.content_key != first.content_key
        assert changed.salt != first.salt and changed.page_key != first.page_key
    assert derive_keys(KEY, "quiet river seven lanterns") != derive_keys(KEY, "based native left including")
    assert len({new_key() for _ in range(50)}) == 50 and all(len(new_key()) == 43 for _ in range(5))


def _private_values(spec) -> list[str]:
    """Every piece of text a private circle's YAML holds that a stranger must not read."""
    values = [spec.name, spec.description, *(t.title for t in spec.topics)]
    for member in spec.members:
        values += [member.name, member.department, member.email or "", member.profile or ""]
    for session in spec.sessions:
        values += [session.topic or "", session.place or ""]
    if spec.agreement.text:
        values += [line.strip() for line in spec.agreement.text.splitlines() if len(line.strip()) > 12]
    values += [spec.links.chat or "", spec.defaults.online or ""]
    return [v for v in values if v and len(v) >= 4]


def test_leak_scan_no_private_text_in_any_output_byte(tmp_path):
    out = tmp_path / "site"
    project = load_project(REPO, base_url="https://circles.example.org/repo/", output=out)
    site = load_site(project)
    private = [c for c in site.circles if c.is_private]
    assert private
    build(project, now=NOW)
    needles = {PRIVATE}
    for circle in private:
        needles |= {circle.slug, *_private_values(circle.spec)}
    hits = []
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.relative_to(out)}: {n!r}" for n in needles if n.encode() in data]
            hits += [f"{path.relative_to(out)} (path): {n!r}" for n in needles if n in str(path.relative_to(out))]
    assert not hits, "\n".join(hits)
    # and the content is all there for someone with the link
    home = open_page(out, PRIVATE)
    assert all(v in home for v in ("Early Independence Circle", "Lucía Fernández"))


def test_private_shell_is_generic_and_leak_proof(tmp_path):
    out = tmp_path / "site"
    build(load_project(REPO, output=out), now=NOW)
    shell = (out / keys_for(PRIVATE).url / "calendar" / "index.html").read_text()
    assert "<title>Private page · Peer-mentoring circles</title>" in shell  # the site's name, no circle's
    assert '<meta name="robots" content="noindex,nofollow">' in shell
    assert '<meta name="referrer" content="no-referrer">' in shell
    assert 'name="description"' not in shell and "og:" not in shell
    assert "<script src=\"../../../assets/private.js\" defer></script>" in shell  # our own script only
    assert set(payload(shell)) == {"v", "circle", "wrap", "page"}


def test_builds_are_reproducible_with_private_circles(tmp_path):
    def snapshot(folder):
        return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    build(load_project(REPO, output=tmp_path / "a"), now=NOW)
    build(load_project(REPO, output=tmp_path / "b"), now=NOW)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def _built_folders(out) -> set[str]:
    return {p.name for p in (out / "p").iterdir()}


def test_a_new_key_moves_the_circle_and_only_the_same_key_brings_a_folder_back(make_site, tmp_path):
    """Renaming sites/lab to sites/cohort-2028 with `slug: lab`, or reverting a rotation's key,
    gives the folder of whatever key the circle holds: the old one only if the old key comes back."""
    old_key, new = test_key("lab"), new_key()
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab")})
    build(load_project(root, output=tmp_path / "v1"), now=NOW)
    circle = root / "sites/lab/circle.yaml"
    circle.write_text(circle.read_text().replace(old_key, new))
    build(load_project(root, output=tmp_path / "v2"), now=NOW)
    old_keys, new_keys = keys_for("lab"), keys_for("lab", key=new)
    assert _built_folders(tmp_path / "v1") == {old_keys.token} and _built_folders(tmp_path / "v2") == {new_keys.token}
    assert "Test Circle" in open_page(tmp_path / "v2", "lab", key=new)
    with pytest.raises(InvalidTag):
        open_page(tmp_path / "v2", "lab", key=new, link_key=old_keys.link_key)
    (root / "sites/lab").rename(root / "sites/cohort-2028")
    moved = root / "sites/cohort-2028/circle.yaml"
    moved.write_text("slug: lab\n" + moved.read_text())
    build(load_project(root, output=tmp_path / "renamed"), now=NOW)
    assert _built_folders(tmp_path / "renamed") == {new_keys.token}  # the new key's folder, not the old one
    moved.write_text(moved.read_text().replace("slug: lab\n", "slug: cohort-2028\n"))
    build(load_project(root, output=tmp_path / "reslugged"), now=NOW)
    assert _built_folders(tmp_path / "reslugged") == {new_keys.token}  # another slug: the same key, the same folder
    moved.write_text(moved.read_text().replace(new, old_key))  # what `git revert` of the rotation does
    build(load_project(root, output=tmp_path / "reverted"), now=NOW)
    assert _built_folders(tmp_path / "reverted") == {old_keys.token}


def test_a_changed_passphrase_changes_the_folder_and_the_content_key(make_site, tmp_path):
    """A member who copied the content key from sessionStorage opens nothing published after."""
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab", "quiet river seven lanterns")})
    build(load_project(root, output=tmp_path / "a"), now=NOW)
    circle = root / "sites/lab/circle.yaml"
    circle.write_text(circle.read_text().replace("quiet river seven lanterns", "based native left including"))
    build(load_project(root, output=tmp_path / "b"), now=NOW)
    first, second = keys_for("lab", "quiet river seven lanterns"), keys_for("lab", "based native left including")
    assert _built_folders(tmp_path / "a") == {first.token} and _built_folders(tmp_path / "b") == {second.token}
    data = payload((tmp_path / "b" / second.url / "index.html").read_text())
    with pytest.raises(InvalidTag):
        open_sealed(first.content_key, data, "index.html")
    assert "Test Circle" in open_sealed(second.content_key, data, "index.html")


def test_passphrase_circles_open_with_pbkdf2(make_site, tmp_path):
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab", "quiet river seven lanterns")})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    shell = (tmp_path / "out" / keys_for("lab", "quiet river seven lanterns").url / "index.html").read_text()
    wrap = payload(shell)["wrap"]
    assert wrap["kind"] == "passphrase" and wrap["iterations"] >= 600_000 and len(wrap["salt"]) >= 22
    assert "Test Circle" in open_page(tmp_path / "out", "lab", passphrase="quiet river seven lanterns")
    with pytest.raises(InvalidTag):
        open_page(tmp_path / "out", "lab", passphrase="wrong words entirely",
                  circle_passphrase="quiet river seven lanterns")
    with pytest.raises(InvalidTag):  # the link key does not open a passphrase circle
        open_page(tmp_path / "out", "lab", circle_passphrase="quiet river seven lanterns",
                  link_key=keys_for("lab", "quiet river seven lanterns").link_key)


def test_a_rebuild_derives_no_passphrase_key_for_an_unchanged_circle(make_site, tmp_path, monkeypatch):
    """600,000 PBKDF2 rounds per passphrase circle and build would make every rebuild of a large
    programme slow: only a circle whose pages are sealed again needs its wrapped key."""
    import hashlib

    import circlepress.private.keys as privacy

    circle = private(VALID_CIRCLE, "lab", "quiet river seven lanterns")
    root = make_site({"sites/lab/circle.yaml": circle, "sites/other/circle.yaml": private(VALID_CIRCLE, "other")})
    build(load_project(root), now=NOW)
    rounds = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: rounds.append(args[3]) or real(*args))
    privacy.passphrase_key.cache_clear()  # as in a new process
    other = root / "sites/other/circle.yaml"
    other.write_text(other.read_text().replace("Test Circle", "Other Circle"))
    assert build(load_project(root), now=NOW).changed > 0
    assert rounds == []
    (root / "sites/lab/circle.yaml").write_text(circle.replace("Test Circle", "Renamed Circle"))
    build(load_project(root), now=NOW)
    assert rounds == [privacy.PBKDF2_ITERATIONS]
    assert "Renamed Circle" in open_page(root / "_site", "lab", passphrase="quiet river seven lanterns")


def test_short_passphrase_is_a_located_error(make_site):
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE + "access:\n  passphrase: short\n"})
    with pytest.raises(CirclepressError) as info:
        load_site(load_project(root))
    assert "sites/lab/circle.yaml:19:15: 'passphrase' is too short (at least 12 characters)" in str(info.value)


@pytest.mark.parametrize(("passphrase", "why"), [
    ("password1234", "some 10^4 guesses where 10^14 are needed: this is a very common password"),
    ("aaaaaaaaaaaaaaaa", 'some 10^2 guesses where 10^14 are needed: repeats like "aaa" are easy to guess'),
    ("abcdefghijklmnop", 'some 10^1 guesses where 10^14 are needed: sequences like "abc" or "6543" are easy '
                         "to guess"),
    ("Test Circle 2027!", "some 10^8 guesses where 10^14 are needed: it uses the circle's own words"),
    ("river seven lanterns", "some 10^13 guesses where 10^14 are needed"),
])
def test_weak_passphrase_is_a_located_error(make_site, passphrase, why):
    """Twelve characters are not enough: `password1234` was accepted. zxcvbn judges, with the
    circle's own name and members as the first words an attacker tries (`Test Circle 2027!`
    would pass without them)."""
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE + f"access:\n  passphrase: {passphrase}\n"})
    with pytest.raises(CirclepressError) as info:
        load_site(load_project(root))
    assert str(info.value) == (f"sites/lab/circle.yaml:19:15: the passphrase is too easy to guess, {why} (use four "
                               "or more random words that have nothing to do with the circle, e.g. picked with "
                               "dice from a word list)")


@pytest.mark.parametrize("passphrase", ["quiet river seven lanterns", "based native left including",
                                        "correct horse battery staple"])
def test_four_random_words_are_a_strong_passphrase(make_site, passphrase):
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE + f"access:\n  passphrase: {passphrase}\n"})
    assert load_site(load_project(root)).circles[0].spec.access.passphrase == passphrase


# --- the retired site secret ------------------------------------------------------------


def test_a_leftover_site_secret_is_one_warning_that_blocks_nothing(make_site, tmp_path):
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab")})
    (root / ".circlepress").mkdir()
    (root / ".circlepress/secret").write_text("an-old-site-secret-" + "x" * 40 + "\n")
    env = {"CIRCLEPRESS_SECRET": "an-old-site-secret-from-the-workflow-0123456789"}
    result = CliRunner().invoke(main, ["build", "--strict", "--root", str(root), "--out", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    warning = ("$CIRCLEPRESS_SECRET:1:1: warning: $CIRCLEPRESS_SECRET and .circlepress/secret: the site secret is no "
               "longer used (each private circle's key is its circle.yaml's access.key) (remove it from the workflow and "
               "the repository's secrets; delete .circlepress/secret)")
    assert result.output.count("site secret is no longer used") == 1 and warning in result.output
    assert "an-old-site-secret" not in result.output
    assert _built_folders(tmp_path / "out") == {keys_for("lab").token}  # the old secret changes nothing
    clean = CliRunner().invoke(main, ["check", "--root", str(REPO)], env={"CIRCLEPRESS_SECRET": None})
    assert clean.exit_code == 0 and "site secret" not in clean.output


# --- circlepress links ------------------------------------------------------------------


def test_links_lists_public_urls_and_private_share_links(tmp_path):
    result = CliRunner().invoke(main, ["links", "--root", str(REPO), "--base-url", "https://circles.example.org/repo/"])
    assert result.exit_code == 0, result.output
    keys = keys_for(PRIVATE)
    assert f"https://circles.example.org/repo/{keys.url}#k={b64(keys.link_key)}" in result.output
    assert "https://circles.example.org/repo/circles/imaging-and-data/" in result.output
    assert test_key(PRIVATE) not in result.output


def test_links_prints_the_same_link_with_no_environment_and_no_secret_file(tmp_path):
    """Wherever the circle can be read: another folder, another user's environment, no state."""
    import shutil
    import sys

    programme = tmp_path / "copy"
    shutil.copytree(REPO / "sites", programme / "sites")
    shutil.copytree(REPO / "content", programme / "content")
    (programme / "circlepress.yaml").write_text((REPO / "circlepress.yaml").read_text())

    def links(cwd, root, env) -> str:
        done = subprocess.run([sys.executable, "-m", "circlepress.cli", "links", "--root", str(root),
                               "--base-url", "https://circles.example.org/repo/"], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    path = os.environ["PATH"]
    python_path = os.environ.get("PYTHONPATH", "")
    one = links(REPO, REPO, {"PATH": path, "PYTHONPATH": python_path, "HOME": str(tmp_path)})
    two = links(tmp_path, programme, {"PATH": path, "PYTHONPATH": python_path, "HOME": "/nonexistent", "CI": "true"})
    keys = keys_for(PRIVATE)
    assert one == two and f"https://circles.example.org/repo/{keys.url}#k={b64(keys.link_key)}" in one
    assert not (programme / ".circlepress").exists()


def test_links_draws_a_qr_code_in_the_terminal_and_as_svg(tmp_path):
    base = ["links", "--root", str(REPO), "--base-url", "https://circles.example.org/repo/", "--qr", PRIVATE]
    terminal = CliRunner().invoke(main, base)
    assert terminal.exit_code == 0 and terminal.output.count("█") > 100
    svg = tmp_path / "link.svg"
    written = CliRunner().invoke(main, base + ["--svg", str(svg)])
    assert written.exit_code == 0, written.output
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    unknown = CliRunner().invoke(main, ["links", "--root", str(REPO), "--qr", "nope"])
    assert unknown.exit_code == 2 and "no circle 'nope'" in unknown.output


def test_links_qr_prints_only_the_chosen_circles_link():
    """A QR code is shown on a shared screen: the other circles' links must not be above it."""
    base = ["links", "--root", str(REPO), "--base-url", "https://circles.example.org/repo/", "--qr"]
    keys = keys_for(PRIVATE)
    private_link = f"https://circles.example.org/repo/{keys.url}#k={b64(keys.link_key)}"
    public = CliRunner().invoke(main, base + ["imaging-and-data"])
    assert public.exit_code == 0, public.output
    assert "https://circles.example.org/repo/circles/imaging-and-data/" in public.output
    assert private_link not in public.output and keys.url not in public.output and PRIVATE not in public.output
    private = CliRunner().invoke(main, base + [PRIVATE])
    assert private.exit_code == 0 and private_link in private.output
    assert "imaging-and-data" not in private.output
    unknown = CliRunner().invoke(main, base + ["nope"])
    assert unknown.exit_code == 2 and PRIVATE not in unknown.output


def _counted_circle(members: int, sessions: int) -> str:
    """A private circle with this many members and sessions, each written as a real one might be."""
    people = "\n".join(f"  - {{id: m{i}, name: Firstname Lastname-{i}, role: 'Postdoc, year {i}', "
                       f"department: Department of Cell Biology}}" for i in range(members))
    rows = "\n".join(f"  - {{date: {date(2027, 1, 7) + timedelta(days=14 * i)}, topic: Writing a first grant "
                     f"as principal investigator {i}, facilitators: [m{i % members}]}}" for i in range(sessions))
    return (f"name: Counted Circle\ntimezone: Europe/London\nterm: {{start: 2027-01-01, months: 6}}\n"
            f"defaults: {{start: '16:00', place: Seminar room 2, online: 'https://meet.example.org/counted'}}\n"
            f"members:\n{people}\nsessions:\n{rows}\naccess: {{key: {test_key('lab')}}}\n")


def test_sealed_page_sizes_do_not_tell_how_many_members_or_sessions(make_site, tmp_path):
    """One member and one session, or the most allowed of both: every file has the same size."""
    def sizes(members: int, sessions: int) -> dict[str, int]:
        root = make_site({"sites/lab/circle.yaml": _counted_circle(members, sessions)}, name=f"p{members}")
        out = tmp_path / f"out{members}"
        build(load_project(root, output=out), now=NOW)
        assert "Firstname Lastname-0" in open_page(out, "lab", "calendar/index.html")
        return {p.relative_to(out).as_posix(): p.stat().st_size for p in out.rglob("*") if p.is_file()}

    assert sizes(1, 1) == sizes(MAX_MEMBERS, MAX_SESSIONS)


def test_padding_round_trips_and_rejects_what_it_did_not_make():
    for data in (b"", b"<p>x</p>", b"ends in zeros\0\0", b"\x80", bytes(PAD_FLOOR)):
        padded = pad(data, PAD_FLOOR)
        assert len(padded) in (PAD_FLOOR, 2 * PAD_FLOOR) and unpad(padded) == data
    with pytest.raises(ValueError):
        unpad(bytes(64))


def test_a_page_sealed_before_padding_is_still_read_for_its_calendar():
    """The previous build's calendar (for SEQUENCE numbers) may be in the unpadded format 1."""
    keys = derive_keys(KEY, None)
    aad = page_aad(keys.token, "calendar/index.html")
    old = {"v": 1, "circle": keys.token, "wrap": {}, "page": seal(keys.content_key, aad, b"<p>old</p>")}
    shell = f'<script type="application/json" id="circlepress-sealed">{json.dumps(old)}</script>'
    assert read_sealed(keys, "calendar/index.html", shell) == "<p>old</p>"
    new = seal_page(keys, {}, "calendar/index.html", "<p>new</p>")
    shell = f'<script type="application/json" id="circlepress-sealed">{json.dumps(new)}</script>'
    assert read_sealed(keys, "calendar/index.html", shell) == "<p>new</p>"


def test_an_edit_reseals_every_page_of_the_circle_and_a_comment_none(make_site, tmp_path):
    """Sizes aside, bytes: an edit of one session, or the next day's build, changes all of the
    circle's files, not only the pages that show it; an edit that changes nothing shown changes no file."""
    root = make_site({"sites/lab/circle.yaml": _counted_circle(2, 3)})
    out = tmp_path / "out"

    def published(now=NOW) -> dict[str, bytes]:
        build(load_project(root, output=out), now=now)
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / keys_for("lab").url).rglob("*.html")}

    first = published()
    circle = root / "sites/lab/circle.yaml"
    circle.write_text(circle.read_text() + "# a comment\n")
    assert published() == first
    circle.write_text(circle.read_text().replace("investigator 2", "investigator two"))
    second = published()
    assert sorted(second) == sorted(first) and len(first) > 15
    assert [path for path in first if first[path] == second[path]] == []
    assert "investigator two" in open_page(out, "lab", "calendar/index.html")
    next_day = published(NOW + timedelta(days=1))
    assert [path for path in second if second[path] == next_day[path]] == []


def test_a_private_circles_own_pages_are_published_under_names_of_its_keys(make_site, tmp_path):
    """sites/lab/leaving-smith-lab.md: no published path says 'leaving' or 'smith'; the menu finds it."""
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab"),
                      "sites/lab/leaving-smith-lab.md": "---\ntitle: Leaving the lab\n---\nWhat we know so far.\n"})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    paths = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [p for p in paths if "leaving" in p or "smith" in p or "lab" in p.split("/", 1)[-1]]
    home = open_page(out, "lab")
    folder = re.search(r'<a href="[^"]*/([^"/]+)/index.html">Leaving the lab</a>', home).group(1)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", folder)
    assert "What we know so far." in open_page(out, "lab", f"{folder}/index.html")
    assert f"{folder}/index.html" in [p.removeprefix(keys_for("lab").url) for p in paths]


# --- circlepress rotate -----------------------------------------------------------------


def _key_in(path) -> str:
    return re.search(r"^  key: ([A-Za-z0-9_-]{43})$", path.read_text(), re.M).group(1)


def test_rotate_writes_a_new_key_keeps_comments_and_the_old_folder_is_gone_after_the_next_build(make_site):
    text = private(VALID_CIRCLE, "lab").replace("members:\n", "# who is in it\nmembers:  # ten at most\n")
    root = make_site({"sites/lab/circle.yaml": text})
    assert build(load_project(root), now=NOW).changed
    old = keys_for("lab")
    assert _built_folders(root / "_site") == {old.token}
    result = CliRunner().invoke(main, ["rotate", "lab", "--root", str(root), "--base-url", "https://c.example.org/"])
    assert result.exit_code == 0, result.output
    circle = root / "sites/lab/circle.yaml"
    key = _key_in(circle)
    new = keys_for("lab", key=key)
    assert key != test_key("lab") and key not in result.output
    assert circle.read_text() == text.replace(test_key("lab"), key)  # only the key changed: comments and layout kept
    assert result.output.splitlines() == [
        "Wrote a new key to sites/lab/circle.yaml. The new link:",
        f"  https://c.example.org/{new.url}#k={b64(new.link_key)}",
        "The old link stops working once the site is built and published again."]
    links = CliRunner().invoke(main, ["links", "--root", str(root), "--base-url", "https://c.example.org/"])
    assert f"https://c.example.org/{new.url}#k={b64(new.link_key)}" in links.output  # as `links` prints it
    build(load_project(root), now=NOW)
    assert _built_folders(root / "_site") == {new.token}  # the old link's folder is gone
    assert "Test Circle" in open_page(root / "_site", "lab", key=key)


def test_rotate_mends_a_circle_without_a_key_or_with_the_old_version(make_site):
    body = VALID_CIRCLE.replace("visibility: public", "visibility: private")
    root = make_site({"sites/a/circle.yaml": body, "sites/b/circle.yaml": body + "access:\n  version: 3  # v3\n",
                      "sites/c/circle.yaml": body + "access: {passphrase: quiet river seven lanterns}\n"})
    with pytest.raises(CirclepressError):
        load_site(load_project(root))
    for slug in "abc":
        result = CliRunner().invoke(main, ["rotate", slug, "--root", str(root)])
        assert result.exit_code == 0, result.output
    assert "version" not in (root / "sites/b/circle.yaml").read_text()
    assert "members also need the circle's passphrase" in result.output and "#k=" not in result.output
    site = load_site(load_project(root))
    assert [c.spec.access.passphrase for c in site.circles] == [None, None, "quiet river seven lanterns"]
    assert len({_key_in(root / f"sites/{s}/circle.yaml") for s in "ab"}) == 2


def test_rotate_refuses_a_public_circle_an_unknown_one_and_a_broken_one_writing_nothing(make_site):
    broken = private(VALID_CIRCLE, "bad").replace("facilitators: [bo]", "facilitators: [zed]")
    root = make_site({"sites/pub/circle.yaml": VALID_CIRCLE, "sites/bad/circle.yaml": broken})
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    public = CliRunner().invoke(main, ["rotate", "pub", "--root", str(root)])
    assert public.exit_code == 1 and public.output.startswith(
        "sites/pub/circle.yaml:2:13: 'pub' is a public circle: it has no private link to rotate")
    unknown = CliRunner().invoke(main, ["rotate", "nope", "--root", str(root)])
    assert unknown.exit_code == 1 and "sites/nope/circle.yaml:1:1: there is no circle 'nope' (allowed: bad, pub)" in unknown.output
    bad = CliRunner().invoke(main, ["rotate", "bad", "--root", str(root)])
    assert bad.exit_code == 1 and "sites/bad/circle.yaml:16:" in bad.output and "Traceback" not in bad.output
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_new_circle_writes_a_random_key_so_it_builds_at_once(make_site, tmp_path):
    root = make_site({"circlepress.yaml": "title: T\n"})
    for slug in ("one", "two"):
        result = CliRunner().invoke(main, ["new", "circle", slug, "--root", str(root)])
        assert result.exit_code == 0, result.output
    keys = {_key_in(root / f"sites/{slug}/circle.yaml") for slug in ("one", "two")}
    assert len(keys) == 2
    assert build(load_project(root, output=tmp_path / "out"), now=NOW).circles == 2
    assert _built_folders(tmp_path / "out") == {keys_for("x", key=k).token for k in keys}


def test_the_example_sites_demo_key_is_the_tests_fixed_key():
    assert _key_in(REPO / "sites" / PRIVATE / "circle.yaml") == test_key(PRIVATE)
