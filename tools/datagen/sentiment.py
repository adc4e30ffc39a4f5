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
About a fifth of the reviews say what happened rather than how it was (`_implied`): events and
their consequences ("I sent it back the next day"), rating talk and idioms ("two stars is being
generous"), and a feeling that the ending turns round ("I was sceptical at first. It won me over
completely.") or confirms; paired frames serve both labels there too, so the number or the
structure decides.

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
    "who_one": _lst("partner, friend, son, daughter, sister, husband, wife, flatmate"),
    "years": _lst("two years, three years, four years, five years"),
    "short_time": _lst("a week, three days, ten days, a fortnight, two weeks"),
    "times": _lst("three, four, five, six"),
    "days_later": _lst("days later, all week, the next morning"),
    "asleep_when": _lst("halfway through, before the first hour was up, twice"),
    "walked_out": _lst("had left by the end, walked out before the end, left during the interval"),
    "minutes": _lst("twenty, thirty, forty, forty-five"),
    "bought_again": _lst("bought a second one, ordered another, bought one for my mum, got one "
                         "for my brother as well, bought two more as presents"),
    "still_going": _lst("still works like new, still gets used every day, still looks brand new, "
                        "has never let me down, is still going strong"),
    "kid": _lst("toddler, son, daughter, niece, nephew, youngest"),
    "broke": _lst("stopped working, broke, died, fell apart, gave up, stopped charging, "
                  "started leaking, cracked"),
    "after_time": _lst("after a week, within a fortnight, after three days, after two uses, "
                       "the second time I used it, within a month, on day two"),
    "sent_back": _lst("sent it back, returned it, took it back to the shop, asked for a refund, "
                      "got my money back, boxed it up for a return"),
    "next_day": _lst("the next day, the same afternoon, within the hour, after one evening, "
                     "straight away"),
    "drawer": _lst("is gathering dust in a drawer, lives in the back of the cupboard, went in the "
                   "bin, is in the charity bag, sits unused in the garage"),
    "owed": _lst("a refund, a reply, the replacement, someone to call me back"),
    "chef_came": _lst("ask how everything was, say hello, explain the dishes, thank us for coming"),
    "came_back": _lst("booked again before we left, have been back three times since, are already "
                      "planning our next visit, went back the very next night"),
    "went_extra_r": _lst("brought out a free dessert for our anniversary, stayed open late just "
                         "for us, found us a table even though they were full, made a special dish "
                         "for our son"),
    "dish": _lst("lamb, risotto, fish, pasta, curry, cheesecake, soup"),
    "waited": _lst("waited an hour, waited forty minutes, waited over an hour, sat for fifty "
                   "minutes"),
    "waited_for": _lst("our main courses, the bill, someone to take our order, a table we had "
                       "booked, our drinks"),
    "lost_booking": _lst("lost our booking, had given our table away, cancelled our reservation "
                         "without telling us, had no record of our reservation"),
    "ended_up": _lst("getting chips on the way home, at the kebab shop next door, eating toast at "
                     "home, at a fast-food place down the road"),
    "manager_did": _lst("shrugged, blamed the kitchen, never came over, argued with us"),
    "staff_person": _lst("receptionist, night porter, manager, concierge, cleaner"),
    "went_extra_h": _lst("drove us to the station in their own car, made us tea at two in the "
                         "morning, found me a phone charger, booked us a taxi and walked us to it, "
                         "posted my forgotten jacket home"),
    "better_room": _lst("a suite, a room with a sea view, the top floor, a family room"),
    "occasion": _lst("anniversary, honeymoon, first trip abroad, birthday weekend"),
    "stayed_on": _lst("extended our stay by two nights, have already booked the same room for next "
                      "summer, are going back in the spring"),
    "worse_room": _lst("a room next to the lift, a room above the kitchen, a room with no window, "
                       "a room facing the car park"),
    "early": _lst("a day early, two days early, after one night"),
    "broken_thing": _lst("heating, shower, lock, air conditioning, window"),
    "days": _lst("three days, four days, the whole week"),
    "chore": _lst("my tax return, the weekly shop, planning our trip, my invoices"),
    "app_action": _lst("opened the camera, tried to log in, tried to pay, added a photo"),
    "lost_data": _lst("a week of notes, all my playlists, my saved routes, two months of photos"),
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
                "category": lambda: self.dom.category[:-1],      # "films" -> "film"
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


LIST_CLOSERS = {
    "positive": _lst("will be back, highly recommended, five stars, would buy again, no regrets, "
                     "can't wait to go back, worth it"),
    "negative": _lst("never again, avoid, one star, not going back, returned it, don't bother, "
                     "not worth it"),
}


def _listing(c: _Ctx, label):
    """Two or three verdicts in a row: 'Rude staff, dirty room, never again.'"""
    frags = [_fragment(c, label, c.aspect()) for _ in range(c.rng.choice([2, 2, 3]))]
    return _cap(", ".join(frags + [c.rng.choice(LIST_CLOSERS[label])])) + "."


def _short(c: _Ctx, label):
    """A few words: a stock phrase, a verdict, a rating or idiom, or a list of verdicts; returns
    (text, kinds)."""
    rng = c.rng
    roll = rng.random()
    if roll < 0.15:
        return _listing(c, label), set()
    if roll < 0.3:
        return (_rating(c, label) if rng.random() < 0.5 else c.fill(rng.choice(IDIOMS[label]))), \
            {"rating"}
    plain, negated = SHORT[label]
    if rng.random() < 0.4:
        return (rng.choice(plain), set()) if rng.random() < 0.6 else (rng.choice(negated), {"negation"})
    aspect = c.aspect()
    if rng.random() < 0.65:
        return _cap(_fragment(c, label, aspect)) + rng.choice([".", ".", "!"]), set()
    adj = _bare_adj(c, _opposite(label), aspect)
    return (f"{_cap(aspect.noun)} not {adj} at all." if label == "positive"
            else f"{_cap(aspect.noun)} not very {adj}."), {"negation"}


# ---------------------------------------------------------------------------------------------
# Implied sentiment. Real reviews often say what happened rather than how it was ("I sent it
# back", "they had no record of our booking"), talk in ratings and idioms ("two stars is being
# generous"), or start with a feeling that the ending turns round ("I cried, but happy tears").
# Where a wording can serve both labels it does ("not the best ... but close" / "not the worst
# ... but close"; "knocked off a star only because ..." / "it gets a star only because ..."), so
# that the structure decides, as with negation and contrast above.
EVENTS = {   # domain: (positive events, negative events), whole sentences with {slots}
    "film": (
        ["The whole cinema applauded at the end.", "I cried at the end, but they were happy tears.",
         "I have seen it {times} times now.", "I went straight home and ordered the book.",
         "I was still thinking about it {days_later}.", "Nobody in our row touched their phone.",
         "I have already booked to see it again with my {relative}.", "Two hours flew by.",
         "My {who_one} talked about it all the way home.", "I watched it twice in one weekend.",
         "We stayed in our seats until the very last credit."],
        ["I fell asleep {asleep_when}.", "I cried, but only from boredom.",
         "Half the audience {walked_out}.", "I checked my watch more often than the screen.",
         "My {who_one} asked if we could leave after {minutes} minutes.",
         "We switched it off after {minutes} minutes and watched the news instead.",
         "I had forgotten the plot by the time we reached the car park.",
         "The couple behind us laughed at the serious scenes.",
         "I spent most of it scrolling through my phone.",
         "We left before the end and nobody wanted to talk about it."]),
    "product": (
        ["I have since {bought_again}.", "{years} on, it {still_going}.",
         "{years} later, it {still_going}.", "I use it every single day.",
         "I'd be lost without it now.", "My {kid} hasn't put it down since it arrived.",
         "I should have bought it years ago.", "I wish I had bought one sooner.",
         "It replaced two cheaper ones that both {broke}.",
         "Three of my colleagues bought one after trying mine.",
         "It survived a drop down the stairs without a scratch.",
         "It hasn't missed a beat in {years}."],
        ["It {broke} {after_time}.", "I {sent_back} {next_day}.",
         "I used it twice, and now it {drawer}.", "It {drawer}.",
         "The replacement {broke} too.", "Still waiting for {owed} after {duration}.",
         "I {sent_back}, and the replacement was no better.",
         "After {short_time} it would not even switch on.",
         "I have spent more time on the phone to support than using it.",
         "My {kid} lost interest within ten minutes.",
         "Within a week I was looking for something else."]),
    "restaurant": (
        ["The chef came out to {chef_came}.", "We {came_back}.",
         "The kids keep asking when we can go back.",
         "They {went_extra_r}.", "Every plate went back to the kitchen empty.",
         "We didn't leave a crumb.", "They remembered our names when we came back.",
         "My {who_one} is still talking about the {dish}."],
        ["We {waited} for {waited_for}.", "They {lost_booking}.", "We left before dessert.",
         "We ended up {ended_up}.", "The manager {manager_did} when we complained.",
         "Half the menu was not available.", "We had to ask {times} times for water.",
         "My {who_one} was ill the next day.", "We sent two dishes back.",
         "We paid and left without finishing the {dish}."]),
    "hotel": (
        ["The {staff_person} {went_extra_h}.",
         "They upgraded us to {better_room} when they heard it was our {occasion}.",
         "We {stayed_on}.", "I slept better than I do at home.",
         "The kids cried when we had to leave.",
         "Housekeeping left a handwritten note and chocolates for the kids.",
         "We have recommended it to everyone who asks."],
        ["They had no record of our booking.", "We were moved to {worse_room}.",
         "We checked out {early}.", "I asked for a refund for the last two nights.",
         "Nobody came to fix the {broken_thing} in {days}.",
         "We found someone else's hair in the bed.",
         "We spent the second night at a different hotel.",
         "The photos on the website must have been taken years ago.",
         "We slept in our clothes."]),
    "app": (
        ["I renewed my subscription without a second thought.",
         "It is the first app I open every morning.", "It saved me hours on {chore}.",
         "I talked my whole team into switching to it.",
         "I deleted three other apps because this one does all of their jobs.",
         "I have used it every day for {years}.", "I paid for the full version after one day.",
         "My {relative} finally stopped asking me for help after I set it up for them."],
        ["I uninstalled it {next_day}.", "It crashed every time I {app_action}.",
         "I lost {lost_data} after the last update.", "I cancelled my subscription.",
         "It drained my battery by lunchtime.", "It logged me out every single time.",
         "Support took a month to reply, and the reply was a template.",
         "I went back to pen and paper.", "Still waiting for {owed} after {duration}."]),
}
# A feeling or an expectation at the start, and how it came out; the first turns round, the
# second confirms, so neither the opening nor the ending alone tells the label.
REVERSAL_OPENERS = {
    "positive": ["I was sceptical at first.", "I went in expecting to hate it.",
                 "I nearly gave up on it in the first {short_time}.",
                 "My {who_one} had to talk me into it.",
                 "I was ready to write an angry review.",
                 "I did not expect much, to be honest.",
                 "The reviews were mixed, so my hopes were low."],
    "negative": ["I wanted to love it.", "On paper it had everything.",
                 "I was so excited at first.", "Everyone raved about it, so my hopes were high.",
                 "I really wanted this to work.", "The photos promised so much.",
                 "I had been looking forward to it for months.",
                 "I defended it to my friends for weeks."],
}
REVERSAL_ENDINGS = {
    "positive": ["It won me over completely.", "I am so glad I gave it a chance.",
                 "Now I recommend it to everyone.", "It proved me wrong.", "By the end I was a fan."],
    "negative": ["That didn't last.", "It never came close.", "The reality was nothing like it.",
                 "Sadly, it let me down.", "I couldn't have been more disappointed."],
}
REVERSAL_CONFIRMED = {   # the same openings, confirmed: the other label
    "positive": ["My hopes were high, and it beat them.",
                 "Everyone raved about it, and for once they were right.",
                 "I had been looking forward to it for months, and it was worth the wait.",
                 "On paper it had everything, and it delivered all of it."],
    "negative": ["I was sceptical at first, and I was right to be.",
                 "I did not expect much, and even that was too much.",
                 "My {who_one} had to talk me into it, and I wish they hadn't.",
                 "The reviews were mixed, and now I know why."],
}
IDIOMS = {
    "positive": ["Worth every penny.", "Does exactly what it says on the tin.", "Hit the spot.",
                 "A breath of fresh air.", "Ticks every box.", "Blew me away.", "It's a keeper.",
                 "Best money I've spent in ages.", "I'm hooked.", "Can't say I regret it.",
                 "A cut above the rest.", "Over the moon with it.", "Would do it all again tomorrow.",
                 "Couldn't ask for more.", "Top marks.", "An absolute gem.", "Spot on.",
                 "Knocked it out of the park.", "Exceeded every expectation.",
                 "Not the best {category} I've come across, but pretty close."],
    "negative": ["Money down the drain.", "Nothing to write home about.", "Not my cup of tea.",
                 "Not worth the hassle.", "All style and no substance.",
                 "Doesn't do half of what it says on the tin.", "The less said, the better.",
                 "Missed the mark by a mile.", "I want my money back.",
                 "Can't say I'd do it again.", "Back to the drawing board.",
                 "Left a bad taste in my mouth.", "Not one I'll be rushing back to.",
                 "A total shambles.", "Should have stayed at home.", "Wouldn't touch it again.",
                 "Not worth the paper it's printed on.", "Never again, not even for free.",
                 "Not the worst {category} I've come across, but it's close."],
}
# Minor things: the complaint that costs a good review one star, the compliment that earns a bad
# review its only one.
NUMBER_WORDS = {1: "one", 2: "two", 4: "four", 5: "five"}
MINOR = {
    "positive": ["the box arrived dented", "delivery took a day longer than promised",
                 "parking nearby is a pain", "the music was a bit loud",
                 "the instructions are badly translated", "it took a while to get going"],
    "negative": ["the packaging was nice", "parking was free", "the music was good",
                 "the staff at the door smiled", "the logo looks nice",
                 "it turned up on time"],
}


def _events(c: _Ctx, label):
    """The domain's events of `label`: sentences with {slots}, to fill and capitalise."""
    return EVENTS[c.dom.name][0 if label == "positive" else 1]


def _rating(c: _Ctx, label):
    """Rating talk: a score out of ten or stars out of five, said in one of many ways. The same
    frames carry both labels; the number decides."""
    rng = c.rng
    good = label == "positive"
    score = rng.choice([7, 8, 8, 9, 9, 10]) if good else rng.choice([0, 1, 2, 2, 3, 3, 4])
    n = rng.choice([4, 5, 5]) if good else rng.choice([1, 1, 2])
    stars = rng.choice([f"{n} stars", f"{NUMBER_WORDS[n]} stars"]) if n > 1 else \
        rng.choice(["1 star", "one star", "a single star"])
    minor = rng.choice(MINOR[label])
    forms = [
        f"{score}/10.", f"{score} out of 10.", f"{score}/10 from me.", f"{n}/5.",
        f"{_cap(stars)}.", f"{_cap(stars)} out of five.", f"Giving it {stars}.",
        f"I'd give it {score} out of 10.", f"{_cap(stars)} from me.",
        f"Solid {score}/10." if good else f"{score}/10, and that's being kind.",
        f"{_cap(stars)}, easily." if good else f"{_cap(stars)} is being generous.",
        f"Knocked off a star only because {minor}." if good
        else f"It gets a star only because {minor}.",
        "Five stars, and I don't give those out lightly." if good
        else "One star, only because zero isn't an option.",
        "I'd give it six stars if I could." if good
        else "If I could give it zero stars, I would.",
        f"{score} out of 10, would {'happily' if good else 'never'} "
        f"{rng.choice(['go', 'buy', 'do it'])} again.",
    ]
    return rng.choice(forms)


def _implied(c: _Ctx, label):
    """A review whose sentiment is implied: by events, by rating talk and idioms, or by a feeling
    the ending turns round. Returns (text, kinds)."""
    rng = c.rng
    events = _events(c, label)
    sents, kinds = [], set()
    if rng.random() < 0.35:
        sents.append(c.fill(rng.choice(c.dom.contexts)))
    kind = rng.choices(["events", "rating", "reversal"], [5, 3, 3])[0]
    if kind == "reversal" and rng.random() < 0.3:
        sents.append(rng.choice(REVERSAL_CONFIRMED[label]))
        kinds |= {"reversal", "implied"}
    elif kind == "reversal":
        sents += [rng.choice(REVERSAL_OPENERS[label]), rng.choice(REVERSAL_ENDINGS[label])]
        if rng.random() < 0.5:
            sents.insert(rng.randrange(len(sents) - 1, len(sents) + 1), rng.choice(events))
        kinds |= {"reversal", "implied"}
    elif kind == "events" or rng.random() < 0.3:
        sents += rng.sample(events, rng.choice([1, 1, 2]))
        kinds.add("implied")
    if kind == "rating" or rng.random() < 0.25:
        extra = _rating(c, label) if rng.random() < 0.6 else rng.choice(IDIOMS[label])
        sents.append(extra)
        kinds.add("rating")
    return " ".join(_cap(c.fill(s)) for s in sents), kinds


def _review(c: _Ctx, label):
    """A review of 1 to 4 sentences; returns (text, kinds)."""
    rng = c.rng
    kinds = set()
    shape = rng.choices(["short", "single", "contrast", "two", "long", "implied"],
                        [12, 32, 17, 17, 22, 25])[0]
    if shape == "implied":
        return _implied(c, label)
    if shape == "short":
        return _short(c, label)
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
    if rng.random() < 0.25:      # what happened, beside what was said
        sents.append(_cap(c.fill(rng.choice(_events(c, label)))))
        kinds.add("implied")
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
