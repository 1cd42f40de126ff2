"""Recognising boilerplate: the widget labels, share bars, menus, promotions, notices and
credits that pages carry besides the story.

Shared by extraction (``digest.gather``), which drops such paragraphs from a page's body,
and by the summariser (``digest.content``), which drops such sentences from a summary.
Plain string work: this module imports nothing of digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CASE_TRAPS", "MAX_WIDGET_WORDS", "is_boilerplate", "key"]


def key(text: str) -> str:
    """*text* case-folded with every run of non-word characters one space: for comparisons."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _vocabulary(*groups: str) -> frozenset[str]:
    return frozenset(item.strip() for group in groups for item in group.split("|")) - {""}


# Whole paragraphs that are nothing but a widget label (compared lower-cased, punctuation removed).
_LABELS = _vocabulary(
    "share|share this|share this article|share this story|share this page|share this post",
    "share article|share story|share on facebook|share on twitter|share via email|share via",
    "share to|tweet|tweet this|copy link|copy the link|link copied|copied|email|e mail|print",
    "print article|print this article|order reprints|reprints|save|save article|save for later",
    "saved|bookmark|comments|comment|show comments|view comments|post comment|leave a comment",
    "add a comment|post a comment|tell us what you think|advertisement|skip advertisement|ad",
    "ads|advert|sponsored|sponsored content|paid content|promoted|related|related stories",
    "related articles|related content|related coverage|related posts|related topics",
    "related news|related links|related reading|more stories|more news|more on this story",
    "more on this topic|you might also like|you may also like|you might be interested in",
    "you may be interested in|recommended|recommended for you|recommended stories",
    "recommended reading|read more|read more here|continue reading",
    "continue reading the main story|keep reading|read full article|read the full article",
    "read full story|read the full story|see more|show more|load more|view more|most popular",
    "most read|most viewed|trending|trending now|top stories|latest news|latest stories|latest",
    "don t miss|dont miss|must read|editor s picks|back to top|tags|topics|sign up|sign up now",
    "sign in|log in|login|register|subscribe|subscribe now|subscribe today|accept|accept all",
    "accept all cookies|accept cookies|reject all|manage cookies|cookie settings|cookie policy",
    "manage preferences|got it|close|listen|listen now|listen to this article",
    "listen to this story|get the app|download the app|download our app|download our apps",
    "watch|watch now|watch video|video|play video|photo|photos|gallery|view gallery",
    "enlarge this image|toggle caption|hide caption|image|facebook|twitter|linkedin|whatsapp",
    "pinterest|reddit|flipboard|messenger|telegram|next article|previous article|next|previous",
    "home|menu|search|skip to content|skip to main content|newsletter|newsletters|follow us",
    "follow|advertise with us|up next|next up|explore more|more|more from us",
)
# Words a share/follow bar is made of; a short paragraph of only these (and a key one) goes.
_SHARE_WORDS = _vocabulary(
    "share|tweet|email|e|mail|print|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|copy",
    "link|messenger|telegram|flipboard|pocket|sms|comment|comments|on|this|article|story|via",
    "and|or|save|more|instagram|youtube|tiktok|follow|us|bluesky|threads|mastodon",
)
_SHARE_KEYS = _vocabulary("share|tweet|facebook|twitter|linkedin|whatsapp|pinterest|reddit")

_AGENCY = (
    r"(?:getty(?: images)?|reuters|afp|aap|ap|ap photo|associated press|epa(?:-efe)?|efe|xinhua"
    r"|pa(?: media| wire| images)?|shutterstock|alamy|istock(?:photo)?|bloomberg|anadolu"
    r"|sipa(?: usa)?|rex(?: features)?|corbis|nurphoto|zuma(?: press| wire)?|imago|dpa|ansa"
    r"|supplied|handout|file photo|wikimedia commons|unsplash|pexels)"
)
_DATEISH = (
    r"(?:\d{1,4}(?:st|nd|rd|th)?|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*"
    r"|oct\w*|nov\w*|dec\w*|mon\w*|tue\w*|wed\w*|thu\w*|fri\w*|sat\w*|sun\w*|today|yesterday"
    r"|[ap]\.?m\.?|gmt|utc|bst|cet|cest|[ecmp][sd]t|at|on|ago|hours?|minutes?|mins?|hrs?|days?)"
)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A boilerplate pattern, the most words a paragraph may have for it to apply, and the
    literal text any match of it holds.

    Looking for a few literal strings in the lower-cased paragraph is far cheaper than
    running a case-insensitive pattern over it, so the pattern only runs when the
    paragraph starts with one of *starts* and contains one of *needs* (an empty tuple: no
    such condition).  Every match of the pattern must do both.  They are lower-case and
    hold no letter outside ASCII; the check is skipped for a paragraph with CASE_TRAPS.
    """

    pattern: re.Pattern[str]
    words: int
    starts: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


# (pattern, most words a paragraph may have for the pattern to apply[, starts[, needs]])
# fmt: off
_PATTERNS: tuple[_Rule, ...] = tuple(
    _Rule(re.compile(pattern, re.I), words, *checks)
    for pattern, words, *checks in (
        # related-story and teaser lines: "Related: …", "Read more: …", "More from …"
        (r"^(?:related(?: stories| articles| content| coverage| reading| links| news| video)?"
         r"|read more|read also|also read|see more|see also|more|watch|watch more|listen"
         r"|recommended(?: reading)?|further reading|must read|don'?t miss|up next|next up"
         r"|more (?:from|on|in|about) [^:|]{1,50}|editor'?s picks?)\s*[:|\u00bb\u203a>]", 30,
         ("related", "read ", "also read", "see ", "more", "watch", "listen", "recommended",
          "further reading", "must read", "don", "up next", "next up", "editor"),
         (":", "|", "\u00bb", "\u203a", ">")),
        (r"^more (?:from|on|stories from|news from|in)\b", 8, ("more ",)),
        (r"^(?:read more|continue reading|keep reading|read (?:the )?(?:full|rest|whole))\b", 15,
         ("read ", "continue reading", "keep reading")),
        (r"^(?:story|article|content|text) continues (?:below|after)\b", 10,
         ("story", "article", "content", "text"), (" continues ",)),
        (r"^scroll (?:down )?to (?:continue|read)\b", 10, ("scroll ",)),
        (r"^(?:published|updated|posted|last updated|first published|last modified)\s*:?\s*"
         r"(?:" + _DATEISH + r"\b[\s,:./-]*)+$", 15,
         ("published", "updated", "posted", "last updated", "first published", "last modified")),
        (r"^(?=.*\b(?:19|20)\d\d\b)(?:" + _DATEISH + r"\b[\s,:./-]*){2,}$", 10, (), ("19", "20")),
        (r"^(?:(?:estimated )?read(?:ing)? time\b|\d+\s*-?\s*(?:min|mins|minutes?)\s+read$)", 8,
         (), ("read",)),
        # captions and credits
        (r"^(?:photo(?:graph)?s?|pic(?:ture)?s?|images?|(?:photo |image )?credits?|image source"
         r"|caption|illustration|graphic|video|source|footage|file photo|main image|top image"
         r"|header image|pictured)\s*[:|/]", 40,
         ("photo", "pic", "image", "credit", "caption", "illustration", "graphic", "video",
          "source", "footage", "file photo", "main image", "top image", "header image"),
         (":", "|", "/")),
        (r"^(?:image|media|video|photo) (?:copyright|caption|source)\b", 40,
         ("image ", "media ", "video ", "photo ")),
        (r"^(?:photo(?:graph)?|image|picture|illustration|video)s?\s+(?:by|courtesy|credit)\b", 25,
         ("photo", "image", "picture", "illustration", "video")),
        (r"(?:[/|©]\s*(?=[a-z])|\bcredit:|\b(?:photo|image|picture|pic)(?:graph)?s?(?::|\s+by\b)"
         r"|\bvia getty)[^.!?]{0,60}\b" + _AGENCY + r"\b[^.!?/]{0,25}\)?\.?$", 45,
         (), ("/", "|", "\u00a9", "credit:", "photo", "image", "pic", "via getty")),
        (r"^\(?\s*(?:(?-i:[A-Z])[\w.'-]*\s+){0,4}(?:/\s*|via\s+|for\s+)?" + _AGENCY
         + r"(?:\s*(?:/|via|and|,)\s*" + _AGENCY + r")*\s*\)?$", 10),
        (r"^\((?:photo|image|picture|pic|credit|illustration|" + _AGENCY + r")\b[^)]*\)$", 25,
         ("(",), (")",)),
        # newsletters, apps, podcasts, social
        (r"^(?:sign up|sign-up|signup|subscribe|register now|join our|join the conversation"
         r"|join now)\b", 25, ("sign", "subscribe", "register now", "join ")),
        (r"\b(?:sign up|sign-up|signup|subscribe)\b.{0,60}\b(?:newsletters?|e-?mails?|inbox"
         r"|updates|alerts|podcasts?)\b", 35, (), ("sign", "subscribe")),
        (r"^(?:get|receive|have|stay|want|never miss|don'?t miss|be the first|the best|the latest"
         r"|our|enter)\b.{0,100}\b(?:inbox|newsletters?)\b", 35, (), ("inbox", "newsletter")),
        (r"\bnewsletters?\b.{0,60}\b(?:to|in|into) your inbox\b", 35, (), ("your inbox",)),
        (r"^(?:download|get|install|try)\b.{0,40}\b(?:app|apps)\b", 25,
         ("download", "get", "install", "try"), ("app",)),
        (r"^(?:listen|subscribe|hear|stream|catch|find|available)\b.{0,80}\bpodcasts?\b", 40,
         (), ("podcast",)),
        (r"\blisten to (?:the|our|this|today'?s) [^.]{0,50}\bpodcast\b", 15, (), ("podcast",)),
        (r"\bwherever you get your podcasts\b", 40, (), ("wherever you get your podcasts",)),
        (r"^listen (?:to|now|on|here|live|again)\b", 15, ("listen ",)),
        (r"\bclick here\b", 40, (), ("click here",)),
        (r"^follow (?:us|@\w+|[^.]{0,80}\b(?:on|at) (?:twitter|facebook|instagram|youtube|tiktok"
         r"|linkedin|x|threads|bluesky|mastodon)\b)", 30, ("follow ",)),
        (r"^follow\b.{0,80}\b(?:coverage|updates)\b", 25, ("follow",)),
        (r"^if you (?:enjoyed|liked|value|appreciate)\b.{0,40}\b(?:article|story|journalism"
         r"|content|work)\b", 60, ("if you ",)),
        # wire and contact credits
        (r"^[^\"\u201c\u201d!?]*\bcontributed (?:reporting|to this (?:report|story|article))\b",
         30, (), ("contributed ",)),
        (r"^(?:additional )?(?:reporting|editing|writing) by\b", 30,
         ("additional ", "reporting", "editing", "writing"), (" by",)),
        (r"^(?:write to|e-?mail|contact)\b[^.]{0,60}\S+@\S+\.\w+\.?$", 15,
         ("write to", "e", "contact"), ("@",)),
        # cookies, advertising, legal, widgets
        (r"^(?:this (?:web)?site|we|our (?:web)?site|site) (?:also )?uses? cookies\b", 100,
         ("this ", "we", "our ", "site"), (" cookies",)),
        (r"^(?:accept|allow|reject|manage|decline)(?: all)? cookies\b", 15,
         ("accept", "allow", "reject", "manage", "decline"), (" cookies",)),
        (r"\bcookies? (?:policy|settings|preferences|notice|consent)\b", 6, (), ("cookie",)),
        (r"\bby (?:continuing|using|clicking|browsing)\b.{0,80}\byou (?:agree|consent|accept)\b",
         60, (), ("you agree", "you consent", "you accept")),
        (r"^(?:skip )?advertisement\b", 4, ("skip advertisement", "advertisement")),
        (r"^(?:©|\(c\)|copyright\s*(?:©|\(c\))?\s*\d{4})", 30, ("\u00a9", "(c)", "copyright")),
        (r"^copyright\b[^.]{0,40}\b(?:19|20)\d\d\b[^.]*$", 30, ("copyright",)),
        (r"\ball rights reserved\b", 30, (), ("all rights reserved",)),
        (r"\bfor your personal,? non-commercial use\b", 60, (), ("non-commercial use",)),
        (r"^(?:tags|filed under|topics|categories|posted in)\s*:", 40,
         ("tags", "filed under", "topics", "categories", "posted in"), (":",)),
        (r"^\d*\s*(?:comments?|replies|shares)$", 3),
        (r"^an error (?:has )?occurred\b", 12, ("an error ",)),
    )
)
# fmt: on
# The same, most words first: a paragraph of n words needs only the rules before the first
# that allows fewer (the order of the patterns does not change whether any matches).
_BY_WORDS = tuple(sorted(_PATTERNS, key=lambda rule: -rule.words))
# Letters that re.IGNORECASE equates with an ASCII letter while str.lower() does not (or
# not one for one): with one of these in a text, literal pre-checks on its lower-cased form
# do not hold (used here and by digest.content.junk).
CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u212a]")
# Breadcrumbs and menus: three or more short items between arrows or bullets.
_ARROW = "[>\u2022\u203a\u00bb\u00b7]"  # ">", bullet, angle quotes, middle dot
_MENU = re.compile(rf"^[^{_ARROW[1:]}{{1,30}}(?:\s{_ARROW}\s[^{_ARROW[1:]}{{1,30}}){{2,}}$")
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"\w+")
# ASCII letters and digits lower-cased, all else a space: key() of ASCII text without "_".
_ASCII_KEY = bytes(
    byte if chr(byte).isascii() and chr(byte).isalnum() else ord(" ")
    for byte in bytes(range(256)).lower()
)
# Punctuation and symbols common in English text that case-fold to themselves and hold no
# word character; a line of these and ASCII is "plain" (encoding turns them into "?").
_PLAIN_SYMBOLS = (
    "\u00a3\u00a9\u00ae\u00b0\u00b7\u00ab\u00bb\u2013\u2014\u2018\u2019\u201a\u201c\u201d"
    "\u201e\u2022\u2026\u2032\u2033\u2039\u203a\u20ac\u2122\u2192\u3001\u3002"
)
_NOT_PLAIN = re.compile(r"[^\x00-\x7f" + _PLAIN_SYMBOLS + "]")
# No paragraph of more words than this can be a label, a share bar or a menu.
MAX_WIDGET_WORDS = 20


def is_boilerplate(paragraph: str) -> bool:
    """True when *paragraph* as a whole is a widget label, promotion, notice or credit."""
    line = " ".join(paragraph.split())
    if not line:
        return True
    if "_" not in line and (line.isascii() or not _NOT_PLAIN.search(line)):
        # Then the \w+ runs of the line are the words of its key(), bar their case, and
        # a line of more than MAX_WIDGET_WORDS of them cannot be a widget.
        words = line.encode("ascii", "replace").translate(_ASCII_KEY).split()
        if not words:  # only symbols: bullets, pipes, arrows
            return True
        count = len(words)
        if count <= MAX_WIDGET_WORDS and _is_widget(b" ".join(words).decode(), line):
            return True
        lowered: str | None = line.lower()
    else:
        folded = key(line)
        if not folded:  # only symbols: bullets, pipes, arrows
            return True
        if _is_widget(folded, line):
            return True
        count = len(_WORD.findall(line))
        lowered = None if CASE_TRAPS.search(line) else line.lower()
    for rule in _BY_WORDS:
        if count > rule.words:
            break  # and so for all the rules after it
        if lowered is not None:  # the pre-checks: loops, not any(), for speed
            if rule.starts and not lowered.startswith(rule.starts):
                continue
            if rule.needs:
                for needed in rule.needs:
                    if needed in lowered:
                        break
                else:
                    continue
        if rule.pattern.search(line):
            return True
    return False


def _is_widget(folded: str, line: str) -> bool:
    """A label, a share bar or a menu; *folded* is key(line)."""
    if folded in _LABELS:
        return True
    words = folded.split()
    if len(words) <= 12 and set(words) <= _SHARE_WORDS and _SHARE_KEYS & set(words):
        return True
    return len(words) <= MAX_WIDGET_WORDS and _MENU.match(line) is not None
