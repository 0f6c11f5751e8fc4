"""Private circles: keys, sealing, the site secret, leak scans and `circlepress links`."""

from __future__ import annotations

import json
import os
import secrets
import re
import stat
import subprocess
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag

from circlepress.build import build
from circlepress.load import load_site
from circlepress.cli import main
from circlepress.config import load_project
from circlepress.errors import CirclepressError
from circlepress.schema import MAX_MEMBERS, MAX_SESSIONS
from circlepress.privacy import (PAD_FLOOR, SECRET_FILE, b64, derive_keys, envelope, load_secret, pad,
                                 page_aad, read_sealed, seal, seal_page, unpack, unpad, unseal)
from circlepress.privacy import open_page as open_sealed

from conftest import NOW, REPO, TEST_SECRET, VALID_CIRCLE
from private_support import keys_for, open_page, payload

SECRET = TEST_SECRET.encode()
PRIVATE = "early-independence"


def test_round_trip_and_every_tampering_fails_cleanly():
    keys = derive_keys(SECRET, "lab", 1)
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
        unseal(derive_keys(SECRET, "other", 1).content_key, aad, sealed["page"])
    with pytest.raises(InvalidTag):  # the right ciphertext served at another page's path
        unseal(content_key, page_aad(keys.token, "topics/index.html"), sealed["page"])
    with pytest.raises(InvalidTag):  # a wrong link key cannot unwrap the content key
        unseal(derive_keys(SECRET, "lab", 2).link_key, "circlepress:wrap:v1:" + keys.token, sealed["wrap"])


def test_nonces_are_synthetic_never_reused_for_other_content():
    key = derive_keys(SECRET, "lab", 1).content_key
    same = [seal(key, "p", b"page one") for _ in range(2)]
    assert same[0] == same[1]  # unchanged content: byte-identical between builds
    nonces = {seal(key, aad, text)["iv"] for aad in ("p", "q") for text in (b"page one", b"page two", b"")}
    assert len(nonces) == 6


def test_addresses_are_stable_long_and_rotated_by_the_link_version():
    first, again, rotated = derive_keys(SECRET, "lab", 1), derive_keys(SECRET, "lab", 1), derive_keys(SECRET, "lab", 2)
    assert first == again
    assert len(first.token) == 24 and len(first.link_key) == 32 and len(first.content_key) == 32
    assert rotated.token != first.token and rotated.link_key != first.link_key
    assert rotated.content_key != first.content_key
    assert derive_keys(b"another-site-secret-0123456789abcdef", "lab", 1).token != first.token
    assert "lab" not in first.token


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
    assert "<title>Private page</title>" in shell
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


def test_rotating_the_link_version_moves_the_circle_and_old_links_fail(make_site, tmp_path):
    private = VALID_CIRCLE.replace("visibility: public", "visibility: private")
    root = make_site({"sites/lab/circle.yaml": private})
    build(load_project(root, output=tmp_path / "v1"), now=NOW)
    (root / "sites/lab/circle.yaml").write_text(private + "access:\n  version: 2\n")
    build(load_project(root, output=tmp_path / "v2"), now=NOW)
    old, new = keys_for("lab", 1), keys_for("lab", 2)
    assert (tmp_path / "v1" / old.url).is_dir() and not (tmp_path / "v2" / old.url).exists()
    assert (tmp_path / "v2" / new.url).is_dir()
    assert "Test Circle" in open_page(tmp_path / "v2", "lab", version=2)
    with pytest.raises(InvalidTag):
        open_page(tmp_path / "v2", "lab", version=2, link_key=old.link_key)


def test_passphrase_circles_open_with_pbkdf2(make_site, tmp_path):
    circle = VALID_CIRCLE.replace("visibility: public", "visibility: private")
    root = make_site({"sites/lab/circle.yaml": circle + "access:\n  passphrase: quiet river seven lanterns\n"})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    shell = (tmp_path / "out" / keys_for("lab").url / "index.html").read_text()
    wrap = payload(shell)["wrap"]
    assert wrap["kind"] == "passphrase" and wrap["iterations"] >= 600_000 and len(wrap["salt"]) >= 22
    assert "Test Circle" in open_page(tmp_path / "out", "lab", passphrase="quiet river seven lanterns")
    with pytest.raises(InvalidTag):
        open_page(tmp_path / "out", "lab", passphrase="wrong words entirely")
    with pytest.raises(InvalidTag):
        open_page(tmp_path / "out", "lab")  # the link key does not open a passphrase circle


def test_a_rebuild_derives_no_passphrase_key_for_an_unchanged_circle(make_site, tmp_path, monkeypatch):
    """600,000 PBKDF2 rounds per passphrase circle and build would make every rebuild of a large
    programme slow: only a circle whose pages are sealed again needs its wrapped key."""
    import hashlib

    import circlepress.privacy as privacy

    circle = VALID_CIRCLE.replace("visibility: public", "visibility: private")
    root = make_site({"sites/lab/circle.yaml": circle + "access:\n  passphrase: quiet river seven lanterns\n",
                      "sites/other/circle.yaml": circle})
    build(load_project(root), now=NOW)
    rounds = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: rounds.append(args[3]) or real(*args))
    privacy.passphrase_key.cache_clear()  # as in a new process
    other = root / "sites/other/circle.yaml"
    other.write_text(other.read_text().replace("Test Circle", "Other Circle"))
    assert build(load_project(root), now=NOW).changed > 0
    assert rounds == []
    (root / "sites/lab/circle.yaml").write_text(circle.replace("Test Circle", "Renamed Circle")
                                                + "access:\n  passphrase: quiet river seven lanterns\n")
    build(load_project(root), now=NOW)
    assert rounds == [privacy.PBKDF2_ITERATIONS]
    assert "Renamed Circle" in open_page(root / "_site", "lab", passphrase="quiet river seven lanterns")


def test_short_passphrase_is_a_located_error(make_site):
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE + "access:\n  passphrase: short\n"})
    with pytest.raises(CirclepressError) as info:
        load_site(load_project(root))
    assert "sites/lab/circle.yaml:18:15: 'passphrase' is too short (at least 12 characters)" in str(info.value)


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
    assert str(info.value) == (f"sites/lab/circle.yaml:18:15: the passphrase is too easy to guess, {why} (use four "
                               "or more random words that have nothing to do with the circle, e.g. picked with "
                               "dice from a word list)")


@pytest.mark.parametrize("passphrase", ["quiet river seven lanterns", "based native left including",
                                        "correct horse battery staple"])
def test_four_random_words_are_a_strong_passphrase(make_site, passphrase):
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE + f"access:\n  passphrase: {passphrase}\n"})
    assert load_site(load_project(root)).circles[0].spec.access.passphrase == passphrase


# --- the site secret --------------------------------------------------------------------


def test_secret_file_is_made_once_private_and_never_printed(tmp_path, monkeypatch):
    monkeypatch.delenv("CIRCLEPRESS_SECRET")
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "project"
    (root / "sites/lab").mkdir(parents=True)
    (root / "sites/lab/circle.yaml").write_text(VALID_CIRCLE.replace("visibility: public", "visibility: private"))
    result = CliRunner().invoke(main, ["build", "--root", str(root)], env={"CI": ""})
    assert result.exit_code == 0, result.output
    secret_file = root / SECRET_FILE
    secret = secret_file.read_text().strip()
    assert len(secret) >= 43 and stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret not in result.output
    assert load_secret(root, {}) == secret.encode()  # the same secret next time: links stay stable


def test_ci_without_the_secret_fails_and_publishes_nothing(make_site, monkeypatch, tmp_path):
    monkeypatch.delenv("CIRCLEPRESS_SECRET")
    root = make_site({"sites/lab/circle.yaml": VALID_CIRCLE.replace("visibility: public", "visibility: private")})
    result = CliRunner().invoke(main, ["build", "--root", str(root), "--out", str(tmp_path / "out")],
                                env={"CI": "true"})
    assert result.exit_code == 1
    assert "$CIRCLEPRESS_SECRET:1:1: private circles need the site secret, and CIRCLEPRESS_SECRET is not set" \
        in result.output
    assert not (tmp_path / "out").exists() and not (root / SECRET_FILE).exists()


def test_short_secret_is_refused_without_being_shown(monkeypatch, tmp_path):
    with pytest.raises(CirclepressError) as info:
        load_secret(tmp_path, {"CIRCLEPRESS_SECRET": "hunter2"})
    assert "hunter2" not in str(info.value) and "shorter than 32 characters" in str(info.value)


WEAK_SECRET = "some 10^{} guesses where 10^24 are needed"
TOKEN_FIX = "(use a long random value, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"


@pytest.mark.parametrize(("secret", "why"), [
    ("a" * 40, WEAK_SECRET.format(2) + ': repeats like "aaa" are easy to guess'),
    ("abc" * 14, WEAK_SECRET.format(2) + ': repeats like "abcabcabc" are only slightly harder to guess than "abc"'),
    ("password1234" * 3, WEAK_SECRET.format(4) + ': repeats like "abcabcabc" are only slightly harder to guess '
                                                 'than "abc"'),
    ("0123456789abcdefghijklmnopqrstuvwxyz", WEAK_SECRET.format(4) + ': sequences like "abc" or "6543" are easy '
                                                                     "to guess"),
    ("1" * 200, WEAK_SECRET.format(2) + ': repeats like "aaa" are easy to guess'),  # longer than zxcvbn judges
])
def test_weak_secret_is_refused_without_being_shown(tmp_path, secret, why):
    with pytest.raises(CirclepressError) as info:
        load_secret(tmp_path, {"CIRCLEPRESS_SECRET": secret})
    assert str(info.value) == f"$CIRCLEPRESS_SECRET:1:1: the site secret is too easy to guess, {why} {TOKEN_FIX}"
    assert secret[:12] not in str(info.value)


def test_weak_secret_file_is_refused(tmp_path):
    (tmp_path / SECRET_FILE).parent.mkdir()
    (tmp_path / SECRET_FILE).write_text("x" * 48 + "\n")
    with pytest.raises(CirclepressError) as info:
        load_secret(tmp_path, {})
    assert str(info.value) == (".circlepress/secret:1:1: the site secret is too easy to guess, "
                               f'{WEAK_SECRET.format(2)}: repeats like "aaa" are easy to guess (delete '
                               ".circlepress/secret to have a new one made (private links change))")


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(16),
                                  lambda: secrets.token_urlsafe(96), lambda: TEST_SECRET])
def test_random_secrets_are_strong(tmp_path, make):
    for _ in range(20):
        secret = make()
        assert load_secret(tmp_path, {"CIRCLEPRESS_SECRET": secret}) == secret.encode()


def test_secret_file_must_be_ignored_by_git(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with pytest.raises(CirclepressError, match="git does not ignore it"):
        load_secret(root, {})
    assert not (root / SECRET_FILE).exists()
    (root / ".gitignore").write_text("/.circlepress/\n")
    assert len(load_secret(root, {})) >= 32


# --- circlepress links ------------------------------------------------------------------


def test_links_lists_public_urls_and_private_share_links(tmp_path):
    result = CliRunner().invoke(main, ["links", "--root", str(REPO), "--base-url", "https://circles.example.org/repo/"])
    assert result.exit_code == 0, result.output
    keys = keys_for(PRIVATE)
    assert f"https://circles.example.org/repo/{keys.url}#k={b64(keys.link_key)}" in result.output
    assert "https://circles.example.org/repo/circles/imaging-and-data/" in result.output
    assert TEST_SECRET not in result.output


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


def test_secret_env_is_read_from_the_environment_not_a_file(tmp_path):
    assert load_secret(tmp_path, {"CIRCLEPRESS_SECRET": TEST_SECRET, "CI": "true"}) == SECRET
    assert not (tmp_path / SECRET_FILE).exists()
    assert os.environ["CIRCLEPRESS_SECRET"] == TEST_SECRET


def _counted_circle(members: int, sessions: int) -> str:
    """A private circle with this many members and sessions, each written as a real one might be."""
    people = "\n".join(f"  - {{id: m{i}, name: Firstname Lastname-{i}, role: 'Postdoc, year {i}', "
                       f"department: Department of Cell Biology}}" for i in range(members))
    rows = "\n".join(f"  - {{date: {date(2027, 1, 7) + timedelta(days=14 * i)}, topic: Writing a first grant "
                     f"as principal investigator {i}, facilitators: [m{i % members}]}}" for i in range(sessions))
    return (f"name: Counted Circle\ntimezone: Europe/London\nterm: {{start: 2027-01-01, months: 6}}\n"
            f"defaults: {{start: '16:00', place: Seminar room 2, online: 'https://meet.example.org/counted'}}\n"
            f"members:\n{people}\nsessions:\n{rows}\n")


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
    keys = derive_keys(SECRET, "lab", 1)
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
    private = VALID_CIRCLE.replace("visibility: public", "visibility: private")
    root = make_site({"sites/lab/circle.yaml": private,
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
