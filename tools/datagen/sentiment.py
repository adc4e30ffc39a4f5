"""Sentiment examples: reviews (films, products, restaurants, hotels, apps) and financial headlines.

Each text is composed from parts (openers, aspects, opinion phrases, connectives, closers) with the
label fixed first and the wording built to match it. About half of the texts are hard on purpose:
- negation flips the surface words: "the food wasn't bland at all" (positive), "I wouldn't call
  the plot clever" (negative);
- contrast puts both polarities in one text, and the clause after "but" / "however", or the main
  clause after "although", decides: "slow service, but the food more than made up for it"
  (positive), "beautiful room, shame about the noise" (negative).
Both flips are used equally often for both labels, so that no single word ("not", "but") predicts
the label; only the structure does.

Example:
    >>> import random
    >>> from datagen.names import build_pools
    >>> ex = make_example(random.Random(0), build_pools()["train"], "positive")
    >>> ex["label"], isinstance(ex["text"], str)
    ('positive', True)
"""
import random
from dataclasses import dataclass

from .names import PRODUCT_MODELS, Pools, make_company


def _lst(text, sep=","):
    return [x.strip() for x in text.split(sep) if x.strip()]


def _cap(s):
    return s[0].upper() + s[1:] if s else s


def _be(rng, plural, tense, neg=False):
    base = ("were" if plural else "was") if tense == "past" else ("are" if plural else "is")
    if not neg:
        return base
    return rng.choice([base + " not", base + "n't"]) if base != "am" else "am not"


def _verb(plural, tense, present_s, present_pl, past):
    return past if tense == "past" else (present_pl if plural else present_s)


@dataclass
class Aspect:
    noun: str            # "battery life"
    plural: bool
    pos: list            # adjectives that praise it
    neg: list            # adjectives that criticise it


def _aspects(spec):
    """Parse 'noun/pl: pos adj; pos adj | neg adj; neg adj' lines into Aspects."""
    out = []
    for line in spec.strip().splitlines():
        head, adjs = line.split(":", 1)
        pos, neg = adjs.split("|")
        noun, plural = (head[:-3], True) if head.endswith("/pl") else (head, False)
        out.append(Aspect(noun.strip(), plural, _lst(pos, ";"), _lst(neg, ";")))
    return out


GENERIC_POS = _lst("great, excellent, fantastic, wonderful, superb, brilliant, lovely, outstanding, "
                   "first-rate, impressive, terrific")
GENERIC_NEG = _lst("poor, awful, terrible, dreadful, disappointing, mediocre, appalling, subpar, "
                   "underwhelming, abysmal, shocking")
INTENS_POS = ["", "", "", "", "really ", "very ", "truly ", "genuinely ", "incredibly ",
              "remarkably ", "so ", "pretty ", "fairly ", "quite ", "reasonably "]
INTENS_NEG = ["", "", "", "", "really ", "very ", "truly ", "incredibly ", "seriously ", "so ",
              "a bit ", "a little ", "slightly ", "rather ", "frankly ", "somewhat "]


@dataclass
class Domain:
    name: str
    items: list          # (noun phrase of the item, plural), e.g. ("this film", False)
    category: str        # "films"
    aspects: list
    overall_pos: list
    overall_neg: list
    contexts: list       # neutral sentences, may hold {city}, {month}, {brand}, {nat}
    verdict_pos: list
    verdict_neg: list
    tenses: tuple


FILM = Domain(
    "film", [("this film", False), ("the film", False), ("this movie", False), ("it", False)],
    "films",
    _aspects("""
plot: gripping; clever; original; tight; engaging; unpredictable; well constructed | predictable; confusing; thin; messy; far-fetched; muddled; paper-thin
acting: superb; convincing; natural; nuanced; excellent | wooden; stiff; over the top; unconvincing; flat
script: sharp; witty; clever; smart; tight | clunky; lazy; awkward; clichéd; lifeless
dialogue: sharp; witty; natural; funny | stilted; clunky; cringeworthy; awkward
pacing: brisk; well judged; tight; perfect | sluggish; uneven; painfully slow; all over the place
ending: moving; satisfying; powerful; perfect; haunting | rushed; abrupt; unsatisfying; silly; baffling
soundtrack: gorgeous; haunting; memorable; wonderful; stirring | intrusive; forgettable; grating; generic
cinematography: stunning; breathtaking; gorgeous; beautiful | murky; flat; drab; ugly
special effects/pl: spectacular; seamless; impressive | cheap; dated; unconvincing; cartoonish
cast: brilliant; terrific; excellent; perfectly chosen | wasted; miscast; forgettable
jokes/pl: hilarious; clever; sharp; genuinely funny | lame; tired; flat; painful
characters/pl: believable; likeable; well drawn; rich | one-dimensional; annoying; flat; unlikeable
direction: confident; assured; inventive; elegant | heavy-handed; sloppy; aimless; clumsy
story: gripping; moving; original; touching | dull; predictable; silly; forgettable
action scenes/pl: thrilling; inventive; exhilarating | chaotic; repetitive; incoherent
twist: clever; genuinely surprising; brilliant | obvious; silly; lazy
"""),
    _lst("gripping, moving, funny, charming, thrilling, beautiful, smart, unforgettable, heartfelt, "
         "riveting, delightful"),
    _lst("boring, dull, tedious, pointless, forgettable, bloated, lifeless, confusing, tiresome, "
         "shallow, a mess"),
    ["I watched it with {who} {when}.", "We saw it {screening}.",
     "I went in {expectation}.", "It runs for {runtime}.",
     "The film follows {protagonist} in {city}.", "It is set in {city} in the {decade}s.",
     "It is based on a {nat} novel.", "I saw it on a long flight to {city}.",
     "The director's last film was set in {city}.", "It opened here in {month}."],
    ["Highly recommended.", "Go and see it.", "I would happily watch it again.",
     "One of the best films I have seen this year.", "Five stars.", "A real gem.",
     "Can't wait to see it again.", "Don't miss it.", "I'd recommend it to anyone.",
     "It's worth seeing on the big screen.", "Easily the best film of the year."],
    ["Skip it.", "Two hours I won't get back.", "Save your money.", "I nearly walked out.",
     "Avoid.", "Not worth the ticket price.", "I can't recommend it.", "A real letdown.",
     "What a waste of a good cast.", "Wait until it's free to stream, or don't bother.",
     "Easily the worst film I've seen this year."],
    ("past", "present"),
)

PRODUCT = Domain(
    "product",
    [("these headphones", True), ("this laptop", False), ("this phone", False),
     ("this blender", False), ("this vacuum cleaner", False), ("this kettle", False),
     ("this coffee machine", False), ("this speaker", False), ("this keyboard", False),
     ("this monitor", False), ("this camera", False), ("this smartwatch", False),
     ("this printer", False), ("this router", False), ("this air fryer", False),
     ("this toothbrush", False), ("this backpack", False), ("these running shoes", True),
     ("this mattress", False), ("this e-reader", False), ("these earbuds", True),
     ("this tablet", False), ("the {brand} {model}", False)],
    "products",
    _aspects("""
battery life: excellent; outstanding; impressive; superb; amazing | poor; terrible; disappointing; pathetic; shocking
build quality: solid; excellent; premium; reassuring | flimsy; cheap; poor; shoddy
design: sleek; elegant; clever; thoughtful | clunky; ugly; awkward; dated
price: fair; reasonable; great; hard to beat | steep; ridiculous; too high; hard to justify
setup: quick; painless; easy; straightforward | fiddly; confusing; a nightmare; endless
instructions/pl: clear; helpful; easy to follow | useless; confusing; vague; missing
customer support: helpful; quick; excellent; friendly | useless; slow; unhelpful; impossible to reach
sound: crisp; rich; clear; excellent; warm | tinny; muddy; distorted; thin
screen: bright; sharp; gorgeous; vivid | dim; washed out; grainy; dull
charger: fast; compact; reliable | slow; bulky; faulty
buttons/pl: responsive; well placed; satisfying | stiff; mushy; fiddly; badly placed
materials/pl: high quality; sturdy; soft | cheap; flimsy; scratchy
delivery: quick; fast; prompt | slow; late; a shambles
performance: fast; smooth; snappy; reliable | sluggish; laggy; unreliable; patchy
noise level: low; pleasantly low | loud; unbearable; ridiculous
fit: comfortable; snug; perfect | uncomfortable; tight; loose
"""),
    _lst("reliable, well made, excellent, brilliant, sturdy, easy to use, great value, superb, "
         "a joy to use, comfortable, dependable"),
    _lst("flimsy, useless, unreliable, overpriced, cheaply made, poor value, a nightmare to use, "
         "faulty, disappointing, badly made, fiddly"),
    ["I bought {it} {purpose} {when_bought}.", "I have been using {it} for {duration} now.",
     "It arrived {arrival}.", "I replaced my old {brand} with this {when_bought}.",
     "I ordered {it} from a shop in {city}.", "It came in {colour}, which is what I wanted.",
     "My {relative} recommended {it}."],
    ["Highly recommended.", "Worth every penny.", "Would buy again.", "Five stars.",
     "Money well spent.", "I'd buy it again in a heartbeat.", "No regrets at all.",
     "Can't recommend it enough.", "Best purchase I've made this year.", "Great value for money."],
    ["Returned it.", "Save your money.", "Would not buy again.", "One star.",
     "I want my money back.", "Avoid.", "Not worth the money.", "Don't bother.",
     "It went straight back to the shop.", "Worst purchase I've made this year."],
    ("present", "present", "past"),
)

RESTAURANT = Domain(
    "restaurant",
    [("this restaurant", False), ("this place", False), ("the restaurant", False),
     ("{venue}", False)],
    "restaurants",
    _aspects("""
food: delicious; excellent; superb; tasty; fantastic; beautifully presented | bland; cold; greasy; overcooked; tasteless
service: attentive; quick; friendly; impeccable; warm | slow; rude; sloppy; painfully slow; inattentive
staff/pl: friendly; welcoming; attentive; lovely; charming | rude; unfriendly; dismissive; clueless
portions/pl: generous; huge; decent | tiny; stingy; miserly
desserts/pl: heavenly; wonderful; delicious | stale; disappointing; sickly
wine list: excellent; well chosen; interesting | overpriced; limited; dull
atmosphere: cosy; relaxed; lively; charming | noisy; cold; chaotic; dreary
prices/pl: reasonable; fair; very fair | outrageous; steep; inflated
steak: perfectly cooked; tender; juicy | tough; chewy; overcooked
coffee: excellent; strong; smooth | weak; bitter; lukewarm
menu: varied; inventive; interesting | limited; boring; confusing
bread: fresh; warm; delicious | stale; hard; dry
curry: rich; fragrant; full of flavour | watery; bland; oily
noodles/pl: fresh; springy; delicious | soggy; overcooked; gluey
seafood: fresh; delicate; superb | rubbery; fishy; tired
tables/pl: spacious; well spaced | cramped; sticky; wobbly
"""),
    _lst("excellent, delightful, wonderful, superb, a real find, charming, fantastic, lovely, "
         "first-rate"),
    _lst("awful, disappointing, overpriced, dreadful, a letdown, chaotic, dirty, mediocre, "
         "a tourist trap"),
    ["We went {meal} {when_visit}.", "We booked a table for {party}.",
     "It is a small {nat} place near {landmark}.", "We found it on a trip to {city}.",
     "It opened in {month} in the old post office.", "A friend from {city} suggested it.",
     "We had the {nat} tasting menu."],
    ["Highly recommended.", "We'll definitely be back.", "I'll be back.", "A real gem.",
     "Can't wait to go back.", "Five stars.", "Worth the trip.", "Book ahead, it's worth it.",
     "Our new favourite place.", "No regrets at all."],
    ["Never again.", "Avoid.", "We won't be going back.", "Not worth the money.", "One star.",
     "Save your money and eat elsewhere.", "Such a shame.", "Really disappointing overall.",
     "I'd give it a miss.", "Not going back."],
    ("past", "past", "present"),
)

HOTEL = Domain(
    "hotel",
    [("the hotel", False), ("this hotel", False), ("this place", False), ("{hotel}", False)],
    "hotels",
    _aspects("""
room: spacious; spotless; clean; comfortable; bright | cramped; dirty; tiny; shabby; musty
bed: comfortable; comfy; huge | lumpy; uncomfortable; hard
breakfast: excellent; generous; delicious; varied | disappointing; poor; cold; meagre
location: perfect; ideal; central; convenient | remote; inconvenient; awkward
staff/pl: helpful; friendly; welcoming; professional | rude; unhelpful; indifferent
pool: lovely; clean; warm | dirty; tiny; freezing
view: stunning; gorgeous; spectacular | depressing; ugly; bleak
Wi-Fi: fast; reliable | patchy; slow; useless
check-in: quick; smooth; friendly | slow; chaotic; endless
bathroom: spotless; modern; huge | mouldy; dirty; tiny
shower: powerful; hot; excellent | weak; lukewarm; broken
air conditioning: quiet; effective | noisy; broken; useless
reception: friendly; efficient | chaotic; unfriendly
spa: relaxing; luxurious | overpriced; tired
"""),
    _lst("excellent, wonderful, lovely, spotless, charming, perfect, superb, great value, "
         "comfortable"),
    _lst("awful, dirty, shabby, overpriced, disappointing, noisy, run-down, dreadful, grim"),
    ["We stayed {nights} in {month}.", "I was there {trip}.",
     "The hotel is {distance} from {landmark}.", "We booked it for a weekend in {city}.",
     "We stayed there on the way to {city}.", "It was our first trip to {city}."],
    ["Would definitely stay again.", "Highly recommended.", "We'll be back.", "Five stars.",
     "Worth every penny.", "Can't wait to go back.", "Perfect for a weekend away.",
     "We'd stay here again without a second thought."],
    ["Would not stay again.", "Avoid.", "Never again.", "One star.", "Book somewhere else.",
     "Not worth the money.", "We checked out a day early.", "Such a disappointment."],
    ("past", "past", "present"),
)

APP = Domain(
    "app",
    [("this app", False), ("the app", False), ("{app}", False)],
    "apps",
    _aspects("""
interface: clean; intuitive; slick; simple | cluttered; confusing; clunky; ugly
updates/pl: regular; frequent; useful | buggy; pointless; constant
notifications/pl: useful; well timed | constant; annoying; relentless
sync: seamless; instant; reliable | unreliable; broken; slow
login: simple; quick | fiddly; broken; painful
ads/pl: unobtrusive; rare | intrusive; endless; constant
load times/pl: fast; quick | slow; painful; endless
offline mode: handy; reliable | useless; broken
subscription: fair; cheap; worth it | overpriced; expensive; a rip-off
search: fast; accurate | useless; slow; hopeless
customer support: helpful; quick | useless; slow; nonexistent
dark mode: lovely; easy on the eyes | ugly; half-finished
"""),
    _lst("brilliant, excellent, reliable, intuitive, useful, polished, essential, fantastic"),
    _lst("useless, buggy, unreliable, frustrating, bloated, broken, clunky, pointless"),
    ["I use it {usage}.", "I installed it {install}.", "I have had it for {duration}.",
     "I switched to it from {app2}.", "Our team in {city} uses it as well."],
    ["Five stars.", "Highly recommended.", "Worth every penny.", "I use it every day now.",
     "Can't imagine my phone without it.", "Best app of its kind."],
    ["Uninstalled.", "Avoid.", "One star.", "Deleted it.", "Not worth the subscription.",
     "Going back to {app2}."],
    ("present", "present", "past"),
)

DOMAINS = [FILM, PRODUCT, RESTAURANT, HOTEL, APP]

FILLERS = {
    "who": _lst("my partner, friends, my kids, my parents, my sister, my brother, colleagues"),
    "when": _lst("on a Friday night, last weekend, on a rainy Sunday, at the cinema, on opening "
                 "night, over the holidays"),
    "screening": _lst("at a late screening, on opening night, at a festival screening, at a "
                      "packed matinee, at an almost empty cinema"),
    "expectation": _lst("knowing nothing about it, with high hopes, after reading the book, "
                        "expecting a simple thriller, with low expectations"),
    "runtime": _lst("just under two hours, two and a half hours, ninety minutes, almost three "
                    "hours"),
    "protagonist": _lst("a retired detective, two sisters, a young chef, a pilot, a runaway "
                        "teenager, an ageing boxer, a school teacher, a jazz pianist"),
    "decade": ["1950", "1960", "1970", "1980", "1990"],
    "purpose": _lst("for my daughter, as a gift, for work, to replace my old one, for travelling, "
                    "for the office, for my son"),
    "when_bought": _lst("last month, in the sales, a few weeks ago, last year, in January, "
                        "before Christmas"),
    "duration": _lst("two weeks, about a month, six months, a year, three months, a few days"),
    "arrival": _lst("a day early, on time, two days late, in plain packaging, well packed"),
    "relative": _lst("sister, brother, colleague, neighbour, dad, mum, flatmate"),
    "colour": _lst("black, white, grey, dark blue, green"),
    "meal": _lst("for lunch, for dinner, for my birthday, for our anniversary, for brunch, "
                 "for a work dinner"),
    "when_visit": _lst("on a Saturday, last week, on a busy Friday night, on a quiet Tuesday, "
                       "last month"),
    "party": _lst("two, four, six, eight"),
    "landmark": _lst("the station, the river, the market, the cathedral, the old town, the beach, "
                     "the harbour, the airport"),
    "nights": _lst("two nights, a week, three nights, one night, five nights"),
    "trip": _lst("on a business trip, for a conference, with my family, for a wedding, on our "
                 "honeymoon"),
    "distance": _lst("a short walk, ten minutes, twenty minutes by bus, a few steps"),
    "usage": _lst("every day, for work, to track my runs, to plan my budget, to learn languages, "
                  "for my shopping lists"),
    "install": _lst("after a friend recommended it, last month, on my new phone, for a trip"),
    "month": _lst("January, February, March, April, May, June, July, August, September, October, "
                  "November, December"),
}
CANNOT = ["could not", "couldn't", "cannot", "can't"]
DID_NOT = ["did not", "didn't"]
WOULD_NOT = ["would not", "wouldn't"]
PREFACES = ["", "", "", "", "", "Honestly, ", "To be honest, ", "Overall, ", "In short, ",
            "All in all, ", "I have to say, ", "Frankly, ", "To be fair, ", "For what it's worth, "]


class _Ctx:
    """What one text draws on: the split's names, the domain, a tense, and the aspects used so
    far (one text never judges the same aspect twice)."""

    def __init__(self, rng: random.Random, pools: Pools, dom: Domain):
        self.rng, self.pools, self.dom = rng, pools, dom
        self.tense = rng.choice(dom.tenses)
        self.used = set()
        self.slots = {}

    def aspect(self):
        """An aspect of the domain not yet used in this text."""
        free = [a for a in self.dom.aspects if a.noun not in self.used]
        a = self.rng.choice(free)
        self.used.add(a.noun)
        return a

    def _slot(self, key):
        rng, pools = self.rng, self.pools
        if key not in self.slots:     # names are drawn once per text, then reused
            brand = self.slots.setdefault("brand", rng.choice(pools.brands))
            value = {
                "model": lambda: rng.choice(PRODUCT_MODELS),
                "city": lambda: rng.choice(pools.cities),
                "nat": lambda: rng.choice(pools.nationalities),
                "venue": lambda: rng.choice([f"{brand} Kitchen", f"Cafe {brand}", brand,
                                             f"{rng.choice(pools.surnames)}'s"]),
                "hotel": lambda: rng.choice([f"the {brand} Hotel", f"Hotel {brand}",
                                             f"the {brand} Inn"]),
                "app": lambda: brand,
                "app2": lambda: rng.choice(pools.brands),
                "it": lambda: "it",
                "brand": lambda: brand,
            }.get(key)
            if value is None:
                return rng.choice(FILLERS[key])
            self.slots[key] = value()
        return self.slots[key]

    def fill(self, text):
        while "{" in text:
            i = text.index("{")
            j = text.index("}", i)
            text = text[:i] + self._slot(text[i + 1:j]) + text[j + 1:]
        return text


# ---------------------------------------------------------------------------------------------
# Clauses. Each returns text without final punctuation, starting in lower case (unless it starts
# with a name), and True when it uses a negation that flips its surface words.
def _item(c: _Ctx):
    np, plural = c.rng.choice(c.dom.items)
    return c.fill(np), plural


def _adj(c: _Ctx, polarity, aspect):
    """An opinion adjective with, sometimes, an intensifier or hedge ("painfully slow",
    "fairly clean"); generic and noun-like ones ("superb", "a nightmare") stay bare."""
    rng = c.rng
    own = (aspect.pos if polarity == "positive" else aspect.neg) if aspect else \
        (c.dom.overall_pos if polarity == "positive" else c.dom.overall_neg)
    if aspect and rng.random() < 0.25:
        return rng.choice(GENERIC_POS if polarity == "positive" else GENERIC_NEG)
    adj = rng.choice(own)
    if adj.startswith(("a ", "an ", "too ", "hard to", "easy to", "impossible", "painfully")) \
            or adj in GENERIC_POS or adj in GENERIC_NEG:
        return adj
    return rng.choice(INTENS_POS if polarity == "positive" else INTENS_NEG) + adj


def _bare_adj(c: _Ctx, polarity, aspect):
    """An adjective that reads well after 'not' or 'as ... as' (no intensifier, no article)."""
    own = aspect.pos if polarity == "positive" else aspect.neg
    ok = [a for a in own if not a.startswith(("a ", "an ", "too ", "hard to", "easy to"))]
    return c.rng.choice(ok or (GENERIC_POS if polarity == "positive" else GENERIC_NEG))


def _clause(c: _Ctx, polarity: str, negated: bool, aspect=None):
    """One opinion clause about an aspect (or the whole item when aspect is None), without final
    punctuation. `negated` asks for a clause whose surface words point the other way."""
    rng, t = c.rng, c.tense
    if aspect is None:
        np, pl = _item(c)
        whole = Aspect(np, pl, c.dom.overall_pos, c.dom.overall_neg)
    else:
        np, pl = "the " + aspect.noun, aspect.plural
        whole = aspect
    be, ben = _be(rng, pl, t), _be(rng, pl, t, neg=True)
    did = "did" if t == "past" else ("do" if pl else "does")
    was = "was" if t == "past" else "is"
    if polarity == "positive" and not negated:
        forms = [
            lambda: f"{np} {be} {_adj(c, 'positive', aspect)}",
            lambda: f"{np} {be} {_adj(c, 'positive', aspect)}",
            lambda: f"{np} {be} {_adj(c, 'positive', aspect)}",
            lambda: f"I {rng.choice(['loved', 'really liked', 'enjoyed', 'was impressed by'])} {np}",
            lambda: f"{np} {_verb(pl, t, 'exceeds', 'exceed', 'exceeded')} my expectations",
            lambda: f"{np} {_verb(pl, t, 'lives', 'live', 'lived')} up to the hype",
            lambda: f"{np} {be} {rng.choice(['a real highlight', 'a pleasant surprise'])}",
            lambda: f"{np} {be} {rng.choice(['spot on', 'second to none', 'hard to beat'])}",
        ]
    elif polarity == "negative" and not negated:
        forms = [
            lambda: f"{np} {be} {_adj(c, 'negative', aspect)}",
            lambda: f"{np} {be} {_adj(c, 'negative', aspect)}",
            lambda: f"{np} {be} {_adj(c, 'negative', aspect)}",
            lambda: f"I {rng.choice(['hated', 'really disliked', 'was disappointed by'])} {np}",
            lambda: f"{np} {_verb(pl, t, 'lets', 'let', 'let')} {rng.choice(['it', 'us', 'me'])} down",
            lambda: f"{np} {be} a real {rng.choice(['letdown', 'weak point', 'disappointment'])}",
            lambda: f"{np} {_verb(pl, t, 'falls', 'fall', 'fell')} flat",
            lambda: f"{np} {_verb(pl, t, 'falls', 'fall', 'fell')} short of my expectations",
        ]
    else:
        # Negation: the surface adjective has the other polarity, and every frame serves both
        # labels ("wasn't bland at all" / "wasn't clean at all"), so only the structure decides.
        good = polarity == "positive"
        adj = _bare_adj(c, _opposite(polarity), whole)
        was_am = "was" if t == "past" else "am"
        forms = [
            lambda: f"{np} {ben} {adj} at all",
            lambda: f"{np} {ben} {adj} in the slightest",
            lambda: f"{np} {ben} {rng.choice(['remotely', 'the least bit', 'in any way'])} {adj}",
            lambda: f"{np} {ben} {rng.choice(['very ', 'particularly ', 'that ', ''])}{adj}",
            lambda: f"{np} {be} far from {adj}",
            lambda: f"{np} {be} hardly {adj}",
            lambda: f"I {rng.choice(DID_NOT)} find {np} {adj} at all",
            lambda: f"I {rng.choice(WOULD_NOT)} call {np} {adj}",
            lambda: f"there {was} nothing {adj} about {np}",
            lambda: f"nobody could call {np} {adj}",
            lambda: f"{np} {ben} as {adj} as "
                    f"{rng.choice(['I expected', 'I had feared', 'the reviews said', 'I had heard'])}",
            # paired wordings: the same words carry both meanings
            lambda: f"I {rng.choice(CANNOT)} {'fault' if good else 'recommend'} {np}",
            lambda: f"{np} {'never' if good else 'always'} "
                    f"{_verb(pl, t, 'disappoints', 'disappoint', 'disappointed')}",
            lambda: f"{np} could {'not ' if good else ''}have been better",
            lambda: f"I have nothing {'bad' if good else 'good'} to say about {np}",
            lambda: f"{np} {did}n't {'disappoint' if good else 'impress'}",
            lambda: f"I {was_am} not {'disappointed' if good else 'impressed'} by {np}",
            lambda: f"{np} {be} not {'bad' if good else 'good'} at all",
            lambda: f"I {rng.choice(CANNOT[2:])} say I "
                    f"{rng.choice(['minded', 'disliked'] if good else ['enjoyed', 'liked'])} {np}",
            lambda: f"I {rng.choice(DID_NOT)} "
                    f"{rng.choice(['mind', 'dislike'] if good else ['enjoy', 'like'])} {np} at all",
            lambda: f"{'no' if good else 'nothing but'} complaints about {np}",
        ]
    return rng.choice(forms)()


def _fragment(c: _Ctx, polarity, aspect):
    """A noun phrase with an opinion adjective: 'beautiful room', 'slow service'."""
    adj = c.rng.choice(aspect.pos if polarity == "positive" else aspect.neg)
    if " " in adj and not adj.startswith(("well ", "high ", "very ")):
        adj = c.rng.choice(GENERIC_POS if polarity == "positive" else GENERIC_NEG)
    return f"{adj} {aspect.noun}"


def _opposite(label):
    return "negative" if label == "positive" else "positive"


def _contrast(c: _Ctx, label: str):
    """One sentence with both polarities in which the clause after the connective (or the main
    clause) decides. Returns (text, negation used)."""
    rng = c.rng
    a, b = c.aspect(), c.aspect()
    other = _opposite(label)
    neg_a, neg_b = rng.random() < 0.25, rng.random() < 0.25
    A = _clause(c, other, neg_a, a)
    B = _clause(c, label, neg_b, b)
    good = label == "positive"
    frag_a = lambda: _fragment(c, other, a)          # noqa: E731  ("slow service")
    forms = [
        lambda: f"{_cap(A)}, but {B}.", lambda: f"{_cap(A)}; however, {B}.",
        lambda: f"{_cap(A)}. However, {B}.", lambda: f"{_cap(A)}. That said, {B}.",
        lambda: f"{_cap(A)}, yet {B}.", lambda: f"Although {A}, {B}.",
        lambda: f"Though {A}, {B}.", lambda: f"While {A}, {B}.",
        lambda: f"{_cap(B)}, even though {A}.", lambda: f"{_cap(A)}, but overall {B}.",
        lambda: f"Despite the {frag_a()}, {B}.",
        lambda: f"The {frag_a()} aside, {B}.",
        lambda: f"Shame about the {frag_a()}, but {B}." if good
        else f"{_cap(frag_a())}, shame about the {b.noun}.",
        lambda: f"{_cap(A)}, but the {b.noun} more than made up for it." if good
        else f"{_cap(A)}, but nothing made up for the {_fragment(c, label, b)}.",
        lambda: f"I expected to {'hate' if good else 'love'} {_item(c)[0]}, but {B}.",
    ]
    return rng.choice(forms)(), neg_a or neg_b


def _plain_sentence(c: _Ctx, label: str, negated: bool):
    """A sentence with one polarity: one clause, or two joined by 'and'."""
    rng = c.rng
    if rng.random() < 0.3:
        a, b = c.aspect(), c.aspect()
        second = f"the {b.noun} {_be(rng, b.plural, c.tense)} {_adj(c, label, b)}"
        s = f"{_cap(_clause(c, label, negated, a))} and {second}"
    else:
        s = _cap(_clause(c, label, negated, None if rng.random() < 0.3 else c.aspect()))
    return s + ("!" if rng.random() < 0.08 else ".")


SHORT = {
    "positive": (_lst("Loved it., Absolutely loved it!, Brilliant., Superb., Highly recommended., "
                      "Five stars., Worth every penny., Money well spent., Would buy again., "
                      "Pure joy., A must-see., Just perfect., Fantastic value., Really impressive."),
                 _lst("Not bad at all., No complaints., Can't fault it., Never disappoints., "
                      "Not disappointed at all., Couldn't have been better., Didn't mind it at all., "
                      "Not boring at all., Can't complain.")),
    "negative": (_lst("Hated it., Awful., Total waste of money., Waste of time., Avoid., "
                      "Never again., One star., Really disappointing., Overrated., Utter rubbish., "
                      "Deeply disappointing., Returned it."),
                 _lst("Not good at all., Nothing but complaints., Can't recommend it., "
                      "Always disappoints., Not impressed at all., Could have been better., "
                      "Didn't like it at all., Not exciting at all., Not worth it.")),
}


def _short(c: _Ctx, label):
    """One to four words; returns (text, negation used)."""
    rng = c.rng
    plain, negated = SHORT[label]
    if rng.random() < 0.4:
        return (rng.choice(plain), False) if rng.random() < 0.6 else (rng.choice(negated), True)
    aspect = c.aspect()
    if rng.random() < 0.65:
        return _cap(_fragment(c, label, aspect)) + rng.choice([".", ".", "!"]), False
    adj = _bare_adj(c, _opposite(label), aspect)
    return (f"{_cap(aspect.noun)} not {adj} at all." if label == "positive"
            else f"{_cap(aspect.noun)} not very {adj}."), True


def _review(c: _Ctx, label):
    """A review of 1 to 4 sentences; returns (text, kinds)."""
    rng = c.rng
    kinds = set()
    shape = rng.choices(["short", "single", "contrast", "two", "long"], [12, 32, 17, 17, 22])[0]
    if shape == "short":
        text, neg = _short(c, label)
        return text, ({"negation"} if neg else set())
    if shape in ("single", "contrast"):
        if shape == "contrast":
            s, neg = _contrast(c, label)
            kinds.add("contrast")
        else:
            neg = rng.random() < 0.3
            s = _plain_sentence(c, label, neg)
        if neg:
            kinds.add("negation")
        pre = rng.choice(PREFACES) if s.startswith(("The ", "I ", "This ", "These ", "It ")) \
            else ""
        return (pre + (s[0].lower() + s[1:] if pre and not s.startswith("I ") else s)), kinds
    sents = []
    if rng.random() < 0.7:
        sents.append(c.fill(rng.choice(c.dom.contexts)))
    for _ in range(1 if shape == "two" else rng.choice([1, 2])):
        neg = rng.random() < 0.2
        kinds |= {"negation"} if neg else set()
        sents.append(_plain_sentence(c, label, neg))
    if shape == "long" and rng.random() < 0.5:
        s, neg = _contrast(c, label)
        sents.insert(rng.randrange(1, len(sents) + 1), s)
        kinds |= {"contrast"} | ({"negation"} if neg else set())
    if rng.random() < 0.6 or len(sents) < 2:
        sents.append(c.fill(rng.choice(c.dom.verdict_pos if label == "positive"
                                       else c.dom.verdict_neg)))
    return " ".join(sents[:4]), kinds


# ---------------------------------------------------------------------------------------------
# Financial headlines (the label is good or bad news for the company's investors).
_FIN = {
    "rise": _lst("rise, jump, climb, surge, rally, gain, soar, edge higher"),
    "fall": _lst("fall, slide, drop, tumble, sink, slump, plunge, edge lower"),
    "good": _lst("strong quarterly results, upbeat guidance, record sales, a surprise profit, "
                 "a big new contract, better-than-expected earnings, a takeover approach, "
                 "strong demand in Asia, a dividend increase, a share buyback"),
    "bad": _lst("a profit warning, weak guidance, disappointing sales, the chief executive's "
                "surprise exit, a data breach, a product recall, a rating downgrade, "
                "an accounting probe, a failed drug trial, falling orders"),
    "metric": _lst("profit, earnings, revenue, sales, margins"),
    "period": _lst("quarterly, first-quarter, second-quarter, third-quarter, full-year, "
                   "half-year, annual"),
    "bank": _lst("analysts, brokers, investors, the market"),
}


def _headline(rng, pools, label):
    """A financial news headline, sometimes with a one-sentence summary."""
    co, co2 = make_company(rng, pools), make_company(rng, pools)
    f = {k: rng.choice(v) for k, v in _FIN.items()}
    pct = f"{rng.randint(1, 19)}.{rng.randint(0, 9)}%" if rng.random() < 0.8 else \
        f"{rng.randint(2, 30)} percent"
    region = rng.choice(pools.countries + pools.regions)
    year = rng.randint(2025, 2031)
    n = rng.choice([120, 300, 450, 800, 1200, 2000, 3500, 5000])
    hard = rng.random() < 0.45
    if label == "positive" and not hard:
        forms = [f"{co} shares {f['rise']} {pct} after {f['good']}",
                 f"{co} beats {f['metric']} forecasts as demand picks up",
                 f"{co} raises {f['period']} outlook on strong orders",
                 f"{co} posts record {f['period']} {f['metric']}",
                 f"{co} wins {rng.choice(['$', '€', '£'])}{rng.randint(2, 900)} million order from {co2}",
                 f"{co} upgraded to buy as {f['bank']} cheer new strategy",
                 f"{co} to hire {n} staff after strong year",
                 f"{co} sales grow faster than expected in {region}"]
    elif label == "negative" and not hard:
        forms = [f"{co} shares {f['fall']} {pct} after {f['bad']}",
                 f"{co} misses {f['metric']} estimates as costs rise",
                 f"{co} cuts {f['period']} outlook as demand weakens",
                 f"{co} to cut {n} jobs as sales slump",
                 f"{co} swings to a {f['period']} loss",
                 f"{co} downgraded to sell on weak {f['metric']}",
                 f"{co} warns of lower {f['metric']} in {region}",
                 f"{co} suspends dividend after {f['bad']}"]
    elif label == "positive":
        forms = [(f"Losses narrow at {co} as costs fall", "negation"),
                 (f"{co} shares rebound despite weak market", "contrast"),
                 (f"{co} beats estimates despite slowdown in {region}", "contrast"),
                 (f"{co} no longer expects a loss this year", "negation"),
                 (f"{co} avoids job cuts after better-than-expected quarter", "negation"),
                 (f"{co} says sales not hurt by {f['bad']}", "negation"),
                 (f"Fears of a {f['metric']} slump at {co} prove unfounded", "negation"),
                 (f"{co} shares {f['rise']} {pct} even as sector struggles", "contrast"),
                 (f"{co} debt no longer a worry, {f['bank']} say", "negation"),
                 (f"Weak start to the year, but {co} ends {year - 1} with record {f['metric']}",
                  "contrast")]
    else:
        forms = [(f"{co} shares {f['fall']} {pct} despite record {f['metric']}", "contrast"),
                 (f"{co} {f['metric']} rise, but outlook disappoints", "contrast"),
                 (f"{co} sales grow, yet margins shrink for a third quarter", "contrast"),
                 (f"{co} fails to reassure investors after {f['good']}", "negation"),
                 (f"{co} not expected to return to profit until {year}", "negation"),
                 (f"No recovery in sight for {co}, {f['bank']} say", "negation"),
                 (f"{co} gains early, then slides on {f['bad']}", "contrast"),
                 (f"Strong {f['metric']} not enough to lift {co} shares", "negation"),
                 (f"{co} shares {f['fall']} {pct} even as {f['metric']} beat forecasts",
                  "contrast"),
                 (f"{co} unable to meet {f['period']} targets, {f['bank']} say", "negation")]
    text, kind = rng.choice(forms) if hard else (rng.choice(forms), None)
    kinds = {kind} if kind else set()
    if rng.random() < 0.3:
        day = rng.choice(_lst("Monday, Tuesday, Wednesday, Thursday, Friday"))
        text += rng.choice([
            f". The company, based in {rng.choice(pools.cities)}, reported its results on {day}.",
            f". Shares traded in {rng.choice(pools.cities)} on {day}.",
            f". Trading was heavy on {day}."])
    return text, kinds


def make_example(rng: random.Random, pools: Pools, label: str):
    """One example of the given label: {"text", "label", "domain", "kinds"}."""
    if rng.random() < 0.15:
        text, kinds = _headline(rng, pools, label)
        return {"text": text, "label": label, "domain": "finance", "kinds": sorted(kinds)}
    dom = rng.choice(DOMAINS)
    text, kinds = _review(_Ctx(rng, pools, dom), label)
    return {"text": text, "label": label, "domain": dom.name, "kinds": sorted(kinds)}


def normalise(text):
    """The key under which two texts count as the same (case and spacing ignored)."""
    return " ".join(text.lower().split())


def generate(pools: dict, sizes: dict, seed: int):
    """{split: [example]} with exactly half of each split positive; no text in two splits."""
    seen = set()
    out = {}
    for split, n in sizes.items():
        rng = random.Random(f"sentiment-{seed}-{split}")
        rows = []
        for i in range(n):
            label = "positive" if i % 2 == 0 else "negative"
            for _ in range(1000):
                ex = make_example(rng, pools[split], label)
                key = normalise(ex["text"])
                if key not in seen:
                    break
            else:
                raise RuntimeError(f"sentiment: could not make a new {label} text for {split}")
            seen.add(key)
            rows.append(ex)
        rng.shuffle(rows)
        out[split] = rows
    return out
