"""NER sentences in CoNLL-2003 style: news, politics, business, sport, culture, results lines.

A sentence is a core template, sometimes with a lead-in ("On Monday ,") or an attribution
(", Reuters reported"), filled with entities from the split's own name lists. Templates use:
- `{PER}`, `{PER2}`: people (`{PER.last}`: the same person's surname; `{PER.his}`: a pronoun);
- `{ORG}`, `{COMPANY}`, `{CLUB}`, `{UNI}`, `{MEDIA}`, `{INTL}`: organisations;
- `{LOC}`, `{CITY}`, `{COUNTRY}`, `{REGION}`, `{GEO}`, `{AMBLOC}`: locations;
- `{NAT}`, `{LANG}`, `{EVENT}` (sport), `{FEST}` (culture), `{WORK}`, `{PRODUCT}`: MISC;
- `{NUM}`, `{PCT}`, `{YEAR}`, `{DAY}`, `{MONTH}`, `{SCORE}`, `{MONEY}`, `{TIME}`...: tagged O;
- `[a|b|]`: one of the alternatives (an empty one makes the part optional).
A template that starts with `!` is used as it is (no lead-in or attribution); one that starts with
`^` is an upper-case headline, as in CoNLL-2003. Punctuation is written as separate tokens, and
so is the possessive "'s".

Example:
    >>> import random
    >>> from datagen.names import build_pools
    >>> tokens, tags = make_sentence(random.Random(0), build_pools()["train"])
    >>> len(tokens) == len(tags)
    True
"""
import random
import re

from .names import AMBIGUOUS, PRODUCT_MODELS, Pools, make_company, make_person

CORES = r"""
{PER} , the {NAT} [foreign|finance|trade|defence|interior|health] minister , said on {DAY} that [talks|negotiations] with {COUNTRY} would resume [next week|in {MONTH}|after the summer]
{NAT} President {PER} arrived in {CITY} on {DAY} for [talks|a two-day visit|a summit] with {PER2}
[The|] talks in {CITY} ended without [an agreement|a deal] on {DAY}
{COUNTRY} and {COUNTRY2} signed a [trade|security|fishing|border|gas] agreement in {CITY} on {DAY}
Police in {CITY} said {NUM} people were [injured|hurt|arrested] [after|during] [a protest|clashes|a march] on {DAY}
The {INTL} said it would send [aid|observers|a team of experts|food supplies] to {COUNTRY} [next month|within days|by {MONTH}]
{PER} , who leads the opposition in {COUNTRY} , [called for|demanded] [new elections|a recount|an inquiry]
Voters in {REGION} go to the polls on {MONTH} {NUM}
The {NAT} government [has|] [denied|rejected|welcomed] the report
{PER} was elected mayor of {CITY} with {PCT} percent of the vote
The embassy of {COUNTRY} in {CITY} was closed on {DAY}
Thousands of people marched through {CITY} on {DAY} to protest against [rising prices|the new law|job cuts]
{COUNTRY} 's [foreign|prime] minister {PER} said the [decision|agreement|vote] was [a mistake|a step forward|long overdue]
The {NAT} embassy in {CITY} declined to comment
{PER} , a {PER.spokes} for the {INTL} , said [the situation was stable|no decision had been made|the report would be published in {MONTH}]
{NAT} troops left {CITY} on {DAY} after {NUM} months
{PER} will visit {COUNTRY} , {COUNTRY2} and {COUNTRY3} [next week|later this month]
Officials in {AMBLOC} said the [plan|proposal] would be [delayed|dropped|revised]
{PER} [fled|left|returned to] {COUNTRY} in {YEAR}
The summit in {CITY} was attended by leaders from {NUM} countries
{PER} told {MEDIA} that {PER.he} would not [stand for re-election|resign|attend the meeting]
Speaking in {LANG} , {PER} thanked [the people of {CITY}|voters in {REGION}|the {NAT} community]
{PER.last} , {AGE} , was [arrested|questioned|released] in {CITY} on {DAY}
The {INTL} [warned|said] that [food prices|refugee numbers|temperatures] in {REGION} could rise [sharply|again] this year
Prime Minister {PER} [met|telephoned] {NAT} leaders on {DAY}
The [election|referendum] in {COUNTRY} will be held on {MONTH} {NUM}
{PER} , the [mayor|governor] of {LOC} , [opened|visited] the new [hospital|bridge|school] on {DAY}
{COMPANY} , based in {CITY} , reported a {PCT} percent rise in [first-quarter|annual|half-year] [profit|sales|revenue]
Shares in {COMPANY} [rose|fell|closed] {PCT} percent [in {CITY}|on {DAY}|in early trading]
{COMPANY} agreed to buy {COMPANY2} for {MONEY}
{PER} , chief executive of {COMPANY} , said [demand|sales] in {COUNTRY} [remained strong|had slowed|would recover next year]
{COMPANY} will open a new [factory|plant|office|research centre] in {CITY} , creating {BIG} jobs
{COMPANY} launched the {PRODUCT} in {COUNTRY} on {DAY}
The {PRODUCT} will go on sale in {REGION} in {MONTH}
{COMPANY} shares [jumped|slumped] after the company [raised|cut] its forecast
{ORG} [appointed|named] {PER} as [its new chief executive|chairman|finance director]
{COMPANY} said it would cut {BIG} jobs in {COUNTRY}
The {NAT} central bank kept interest rates at {PCT} percent
{PER} [resigned|stepped down] as chairman of {COMPANY} on {DAY}
{COMPANY} and {COMPANY2} are in talks over a [merger|joint venture|partnership] in {REGION}
{COMPANY} 's [profit|revenue] [doubled|fell by half|rose sharply] in {YEAR}
A court in {CITY} fined {COMPANY} {MONEY} for [breaking competition rules|misleading customers]
The deal , worth {MONEY} , still needs approval from regulators in {COUNTRY}
Analysts at {COMPANY} expect [prices|rates|sales] to [rise|fall] in {MONTH}
{COMPANY} [opened|closed] its [first|last] store in {CITY} on {DAY}
Workers at the {COMPANY} plant in {CITY} went on strike on {DAY}
{PER} , who founded {COMPANY} in {YEAR} , [sold|kept] [his|her|a] stake in the company
{COMPANY} said its {PRODUCT} had sold {BIG} units in {COUNTRY}
{PER} scored [twice|a hat-trick|the winner|in the {NUM}th minute] as {CLUB} beat {CLUB2} {SCORE} [on {DAY}|at home|away]
{CLUB} [manager|coach] {PER} said {PER.his} team [deserved to win|had been unlucky|played well]
{NAT} [striker|midfielder|defender|goalkeeper] {PER} [has joined|signed for|moved to] {CLUB} [on a three-year contract|for an undisclosed fee|on loan]
{COUNTRY} beat {COUNTRY2} {SCORE} in a qualifier for the {EVENT} in {CITY}
{PER} won the {EVENT} for the [second|third|fourth|first] time
{PER} of {COUNTRY} won the [men's|women's] [100|200|400|800|1,500] metres in {SECS} seconds
{PER} [beat|lost to] {PER2} {SETS} in the [first|second|third] round of the {EVENT}
{CLUB} [drew|were held] [0-0|1-1|2-2] with {CLUB2} on {DAY}
{PER.last} , who missed [last season|the {EVENT}] with a [knee|ankle|back] injury , [is expected to return|returned] [next month|on {DAY}]
The {EVENT} will be held in {CITY} in {YEAR}
{CLUB} [sacked|appointed] [coach|manager] {PER} after [a run of poor results|just {NUM} games]
{PER} finished [second|third|fourth] behind {PER2} in {CITY}
{COUNTRY} [won|retained|lost] the {EVENT} after beating {COUNTRY2} in the final
{CLUB} [are|were] top of the table , {NUM} points ahead of {CLUB2}
{PER} [set|broke] a new [national|world|course] record at the {EVENT}
A crowd of {BIG} watched {CLUB} [win|lose] in {CITY} on {DAY}
{NAT} [cyclist|runner|swimmer|tennis player|golfer] {PER} [won|took] [gold|silver|bronze] at the {EVENT}
{CLUB} [striker|captain] {PER.last} [was sent off|scored from the spot|was injured] [in the first half|after {NUM} minutes]
{CLUB2} [held on|came back] to beat {CLUB} {SCORE} in {CITY}
{PER} , a professor at {UNI} , said the [results|findings] were [surprising|encouraging|worrying]
Researchers at {UNI} in {CITY} have [developed|found|discovered] [a new way to recycle plastic|a new species of frog|a cheaper battery|a link between sleep and memory]
The {NAT} film {WORK} won the top prize at the {FEST} on {DAY}
{PER} 's [novel|album|film|play] {WORK} [has been translated into|was released in|was dubbed into] {LANG}
{WORK} , directed by {PER} , opens in {CITY} next [week|month]
{PER} [studied|taught] [physics|law|music|medicine|economics] at {UNI} [before moving to {CITY}|for {NUM} years]
The [museum|gallery|library] in {CITY} will [show|host] [works|an exhibition] by {NAT} [painter|artist|photographer] {PER}
[Classes|Lessons|Services] are [taught|held] in {LANG} and {LANG2}
{PER} , who speaks {LANG} and {LANG2} , [grew up|was born] in {CITY}
About {NUM} percent of people in {REGION} speak {LANG} at home
{UNI} [announced|received] {MONEY} [for cancer research|for a new library|for scholarships]
The {NAT} author {PER} has won the [top|annual] literary prize for {WORK}
{MEDIA} reported on {DAY} that {PER} would [step down|return to {CITY}|join {ORG}]
The concert in {CITY} was cancelled after {PER} fell ill
{PER} , [born|raised] in {CITY} to {NAT} parents , [moved|returned] to {COUNTRY} in {YEAR}
{PER} [joined|left] {UNI} in {YEAR}
Flights [from|to] {CITY} were [cancelled|delayed] because of [fog|snow|a strike] on {DAY}
Temperatures in {REGION} [rose|fell] to {NUM} degrees Celsius on {DAY}
The new rail link between {CITY} and {CITY2} will open in {YEAR}
{NUM} [tourists|climbers|hikers] were [rescued|stranded] near {GEO} after a [storm|landslide|snowfall]
A fire destroyed [a warehouse|a market|part of a school] in {CITY} on {DAY}
The [ship|ferry|plane] was travelling from {CITY} to {CITY2} when it [lost power|was diverted]
[Floods|Wildfires|Storms] in {REGION} have forced {BIG} people from their homes
{CITY} [hosted|will host] the [{EVENT}|{FEST}] in {YEAR}
{NAT} and {NAT2} [officials|divers|engineers] [met|worked] near {GEO} on {DAY}
Tourism in {REGION} has [grown|fallen] since {YEAR}
The {PRODUCT} was [recalled|withdrawn] in {COUNTRY} after [complaints|a safety review]
{PER} played [the lead|a doctor|a detective] in {WORK}
The {INTL} and {ORG} will hold talks in {CITY} next week
{JORDAN} 's [king|foreign minister|government] [welcomed|criticised] the [decision|plan] on {DAY}
{AMBORG} [beat|lost to] {CLUB} {SCORE} on {DAY}
{WAPO} reported that {PER} had [left|joined] {ORG}
[Flights|Talks] between {AMBLOC} and {CITY} [resumed|were suspended] on {DAY}
{PER} , who grew up in {AMBLOC} , [joined|left] {CLUB} in {YEAR}
{PER} [moved|travelled] to {AMBLOC} in {YEAR} to work for {ORG}
!" We are [very|] [happy|disappointed] with the result , " {PER} said .
!" This is a [great|sad] day for {CITY} , " {PER} told {MEDIA} .
!" We [expect|hope] to finish the work by {MONTH} , " said {PER} , a {PER.spokes} for {ORG} .
!{NUM}. {PER} ( {COUNTRY} ) {TIME}
!{NUM}. {PER} ( {COUNTRY} ) {SECS}
!{CLUB} {NUM} {CLUB2} {NUM2}
!{PER} ( {COUNTRY} ) beat {PER2} ( {COUNTRY2} ) {SETS}
!{CITY} {DATE}
!{CITY} {NUM}
^SOCCER - {CLUB} BEAT {CLUB2} .
^[TENNIS|GOLF|ATHLETICS] - {PER.last} WINS IN {CITY} .
^[SOCCER|RUGBY] - {COUNTRY} [BEAT|DRAW WITH] {COUNTRY2} .
^{COMPANY} [PROFIT|SALES] [UP|DOWN] {PCT} PCT .
"""

# Sentences without entities, as in real news text (about one in ten).
PLAIN = r"""
Shares [fell|rose] {PCT} percent in early trading on {DAY}
The rate of inflation [rose|fell] to {PCT} percent in {MONTH}
Temperatures are expected to reach {NUM} degrees by the weekend
The match was [postponed|abandoned] because of [heavy rain|a waterlogged pitch|fog]
Police said {NUM} people had been arrested [after the match|overnight|during the protest]
The [government|company|council] [said|announced] on {DAY} that it would [cut|raise] [taxes|prices|spending] by {PCT} percent
[Unemployment|Inflation] [fell|rose] for the [second|third|fourth|fifth] month in a row
{NUM} people were injured when a bus [overturned|crashed] on {DAY} , police said
The central bank [left interest rates unchanged|cut interest rates by {PCT} points] on {DAY}
[He|She] scored [twice|once] in the [first|second] half
The results will be published on {MONTH} {NUM}
Prices rose by {PCT} percent in the year to {MONTH}
Trading was [thin|heavy|quiet] ahead of the holiday on {DAY}
The vote is expected [next week|on {DAY}|before the end of {MONTH}]
!Half-time {SCORE}
The [ministry|union|airline] said {BIG} [workers|passengers|jobs] [would be|were] affected
[Rescue workers|Firefighters] were still searching for {NUM} missing people on {DAY}
The [company|bank] did not give a reason for the [decision|delay] on {DAY}
!Attendance : {BIG}
The [talks|negotiations] will resume on {DAY} , officials said
Sales rose {PCT} percent to {MONEY} in the [first|second|third|fourth] quarter
[She|He] [denied|admitted] the charges in court on {DAY}
The [bridge|road|airport] was closed for {NUM} hours on {DAY}
Oil prices [rose|fell] {PCT} percent to {MONEY2} a barrel
Both teams [missed|had] chances in the last {NUM} minutes
The [hospital|school|factory] will reopen in {MONTH} , the council said
[Profits|Exports] [fell|rose] {PCT} percent in {YEAR}
The [trial|hearing] was adjourned until {DAY}
"""

LEADS = ["On {DAY} ,", "Earlier ,", "Last week ,", "In a statement ,", "Meanwhile ,",
         "In {CITY9} ,", "Speaking in {CITY9} ,", "According to {MEDIA9} ,", "Separately ,",
         "Later on {DAY} ,", "In {YEAR} ,", "On {MONTH} {NUM} ,"]
PLAIN_LEADS = ["On {DAY} ,", "Earlier ,", "Last week ,", "Meanwhile ,", "Separately ,",
               "In {YEAR} ,"]
# Slots numbered 9 in lead-ins and attributions never repeat an entity of the core.
TAILS = [", {PER9} said", ", according to {MEDIA9}", ", officials said", ", {MEDIA9} reported",
         ", a spokesman for {ORG9} said", ", {PER9} told reporters in {CITY9}",
         ", the {NAT9} news agency said", ", police said", ", sources said",
         ", {PER9} , a {PER9.spokes} for {ORG9} , said", ", {PER9} said in {CITY9}"]
PLAIN_TAILS = [", officials said", ", police said", ", sources said", ", analysts said"]
KEEP_CAPS = {"Jordan", "President", "Prime", "Minister", "I"}

_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_CLUB_FORMS = ["{c} United", "{c} City", "{c} FC", "{c} Rovers", "{c} Wanderers", "{c} Athletic",
               "Real {c}", "Sporting {c}", "Dynamo {c}", "Olympique {c}", "AC {c}", "{c}"]
_UNI_FORMS = ["University of {c}", "{c} University", "{c} Institute of Technology",
              "{c} State University"]
_MEDIA_FORMS = ["{c} Herald", "{c} Times", "{c} Post", "{c} Gazette", "Radio {c}"]
_INTL_FORMS = ["Central Bank of {k}", "{k} Football Federation", "{n} Red Cross"]
_EVENT_FORMS = ["{c} Marathon", "{c} Open", "{k} Grand Prix", "{n} Open", "{n} Cup",
                "{n} Grand Prix", "{c} Half Marathon", "{c} Masters"]
_FEST_FORMS = ["{c} Film Festival", "{c} Jazz Festival", "{c} Book Fair", "{c} Biennale"]
CULTURE_EVENTS = {"Eurovision Song Contest", "Cannes Film Festival", "Venice Film Festival",
                  "Golden Globe Awards"}


def _parse(block):
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


CORE_TEMPLATES = _parse(CORES)
PLAIN_TEMPLATES = _parse(PLAIN)
_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{([A-Z]+)(\d?)(?:\.(\w+))?\}")


class _Filler:
    """Draws the entities and numbers of one sentence; the same slot name means the same
    entity within the sentence, different names mean different entities."""

    def __init__(self, rng: random.Random, pools: Pools):
        self.rng, self.p = rng, pools
        self.bound = {}

    # --- entity draws: each returns (text, type) ---
    def _city(self):
        return self.rng.choice(self.p.cities)

    def _country(self):
        return self.rng.choice(self.p.countries)

    def _amb(self, role):
        return self.rng.choice([w for w, r in AMBIGUOUS.items() if r.get(role)])

    def draw(self, kind):
        rng, p = self.rng, self.p
        if kind == "PER":
            return make_person(rng, p, ambiguous=0.08), "PER"
        if kind == "CITY":
            return (self._amb("loc") if rng.random() < 0.04 else self._city()), "LOC"
        if kind == "COUNTRY":
            return ("Jordan" if rng.random() < 0.02 else self._country()), "LOC"
        if kind == "REGION":
            return rng.choice(p.regions), "LOC"
        if kind == "GEO":
            return rng.choice(p.geo), "LOC"
        if kind == "AMBLOC":
            return self._amb("loc"), "LOC"
        if kind == "LOC":
            return self.draw(rng.choice(["CITY", "CITY", "COUNTRY", "REGION"]))
        if kind == "NAT":
            return rng.choice(p.nationalities), "MISC"
        if kind == "LANG":
            return rng.choice(p.languages), "MISC"
        if kind in ("EVENT", "FEST"):
            fest = kind == "FEST"
            real = [e for e in p.events if (e in CULTURE_EVENTS) == fest]
            if rng.random() < 0.3 and real:
                return rng.choice(real), "MISC"
            form = rng.choice(_FEST_FORMS if fest else _EVENT_FORMS)
            return form.format(c=self._city(), k=self._country(),
                               n=rng.choice(p.nationalities)), "MISC"
        if kind == "JORDAN":
            return "Jordan", "LOC"
        if kind == "WAPO":
            return "Washington Post", "ORG"
        if kind == "WORK":
            return rng.choice(p.works), "MISC"
        if kind == "PRODUCT":
            return f"{rng.choice(p.brands)} {rng.choice(PRODUCT_MODELS)}", "MISC"
        if kind == "COMPANY":
            if rng.random() < 0.2 and p.orgs["company"]:
                return rng.choice(p.orgs["company"]), "ORG"
            name = make_company(rng, p)
            return (name.split()[0] if rng.random() < 0.3 else name), "ORG"
        if kind == "CLUB":
            r = rng.random()
            if r < 0.05:
                return rng.choice([o for w in AMBIGUOUS.values() for o in w.get("orgs", [])
                                   if o != "Washington Post"]), "ORG"
            if r < 0.15 and p.orgs["club"]:
                return rng.choice(p.orgs["club"]), "ORG"
            return rng.choice(_CLUB_FORMS).format(c=self._city()), "ORG"
        if kind == "AMBORG":
            return rng.choice(["Chelsea", "Sydney FC", "Lincoln City", "Houston Rockets",
                               "Adelaide United", "Washington Nationals"]), "ORG"
        if kind == "UNI":
            if rng.random() < 0.2 and p.orgs["uni"]:
                return rng.choice(p.orgs["uni"]), "ORG"
            return rng.choice(_UNI_FORMS).format(c=self._city()), "ORG"
        if kind == "MEDIA":
            if rng.random() < 0.05:
                return "Washington Post", "ORG"
            if rng.random() < 0.4 and p.orgs["media"]:
                return rng.choice(p.orgs["media"]), "ORG"
            return rng.choice(_MEDIA_FORMS).format(c=self._city()), "ORG"
        if kind == "INTL":
            if rng.random() < 0.6 and p.orgs["intl"]:
                return rng.choice(p.orgs["intl"]), "ORG"
            return rng.choice(_INTL_FORMS).format(k=self._country(),
                                                  n=rng.choice(p.nationalities)), "ORG"
        if kind == "ORG":
            return self.draw(rng.choice(["COMPANY", "COMPANY", "UNI", "INTL", "MEDIA", "CLUB"]))
        raise KeyError(kind)

    def entity(self, kind, idx, attr):
        """Tokens and tags of an entity slot such as {PER2.last}."""
        key = kind + idx
        if key not in self.bound:
            taken = {_text(v) for v, _ in self.bound.values()}
            for _ in range(20):
                value, etype = self.draw(kind)
                if _text(value) not in taken:
                    break
            self.bound[key] = (value, etype)
        value, etype = self.bound[key]
        if etype == "PER" and attr in ("he", "his", "him"):
            return [getattr(value, attr)], ["O"]
        if etype == "PER" and attr == "spokes":
            return ["spokeswoman" if value.gender == "f" else "spokesman"], ["O"]
        if etype == "PER":
            toks = (value.last if attr == "last" else value.full).split()
        elif kind == "GEO" and value[1]:          # "the Danube": the article is not tagged
            toks = value[0].split()
            return ["the"] + toks, ["O"] + _bio(toks, etype)
        else:
            toks = _text(value).split()
        return toks, _bio(toks, etype)

    def number(self, kind, idx):
        rng = self.rng
        return {
            "NUM": lambda: str(rng.randint(2, 60)),
            "AGE": lambda: str(rng.randint(19, 78)),
            "BIG": lambda: f"{rng.randint(1, 60)},{rng.randint(0, 999):03d}"
            if rng.random() < 0.6 else str(rng.randint(120, 950)),
            "PCT": lambda: f"{rng.randint(0, 14)}.{rng.randint(1, 9)}",
            "YEAR": lambda: str(rng.randint(1975, 2024)),
            "DAY": lambda: rng.choice(_DAYS),
            "MONTH": lambda: rng.choice(_MONTHS),
            "DATE": lambda: f"{rng.randint(1, 28)} {rng.choice(_MONTHS)}",
            "SCORE": lambda: "{}-{}".format(*sorted(rng.sample(range(6), 2), reverse=True)),
            "SETS": lambda: " ".join(f"{6}-{rng.randint(0, 4)}" for _ in range(rng.randint(2, 3))),
            "MONEY": lambda: rng.choice([f"{rng.randint(2, 900)} million dollars",
                                         f"{rng.randint(1, 40)}.{rng.randint(1, 9)} billion euros",
                                         f"$ {rng.randint(2, 900)} million",
                                         f"{rng.randint(5, 500)} million pounds"]),
            "MONEY2": lambda: f"{rng.randint(40, 120)}.{rng.randint(10, 99)} dollars",
            "TIME": lambda: f"{rng.randint(2, 3)}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            "SECS": lambda: f"{rng.randint(9, 50)}.{rng.randint(10, 99)}",
        }[kind]()


ENTITY_SLOTS = {"PER", "ORG", "COMPANY", "CLUB", "UNI", "MEDIA", "INTL", "AMBORG", "WAPO", "LOC",
                "CITY", "COUNTRY", "REGION", "GEO", "AMBLOC", "JORDAN", "NAT", "LANG", "EVENT",
                "FEST", "WORK", "PRODUCT"}


def _text(value):
    """The surface string of a drawn entity (a Person, a (name, article) pair or a string)."""
    if hasattr(value, "full"):
        return value.full
    return value[0] if isinstance(value, tuple) else value


def _bio(tokens, etype):
    return [("B-" if i == 0 else "I-") + etype for i in range(len(tokens))]


# Organisations written with "the" in running text, and ones written without it.
NEEDS_THE = {"United Nations", "European Union", "World Bank", "International Monetary Fund",
             "World Health Organization", "Red Cross", "African Union", "BBC", "Senate",
             "International Olympic Committee", "European Space Agency", "Supreme Court",
             "Federal Reserve", "European Central Bank", "Bank of England", "Bank of Japan",
             "Bundesbank", "Associated Press", "Financial Times", "New York Times",
             "Washington Post", "London Stock Exchange", "Tokyo Stock Exchange"}
NO_THE = {"UEFA", "FIFA", "NATO", "OPEC", "UNESCO", "UNICEF", "NASA", "Interpol", "Europol",
          "Greenpeace", "Amnesty International", "Reuters", "CNN", "Al Jazeera", "Xinhua",
          "Kyodo", "Le Monde", "Der Spiegel"}


def _needs_the(text):
    """True: write "the" before it; False: never; None: either way is fine."""
    if text in NEEDS_THE or text.endswith((" Herald", " Times", " Post", " Gazette",
                                           " Football Federation", " Red Cross")) \
            or text.startswith("Central Bank of"):
        return True
    return False if text in NO_THE else None


def _realise(template, f: _Filler):
    """Tokens and tags of one template."""
    while True:
        m = _ALT.search(template)
        if not m:
            break
        template = template[:m.start()] + f.rng.choice(m.group(1).split("|")) + template[m.end():]
    tokens, tags = [], []
    for tok in template.split():
        m = _SLOT.fullmatch(tok)
        if m and m.group(1) in ENTITY_SLOTS:
            t, g = f.entity(m.group(1), m.group(2), m.group(3))
            the = _needs_the(" ".join(t)) if g[0] == "B-ORG" else None
            has_the = bool(tokens) and tokens[-1].lower() == "the"
            if the is False and has_the:
                tokens.pop(), tags.pop()
            elif the and not has_the and not (tokens and tokens[-1] == "'s"):
                tokens.append("the"), tags.append("O")
        else:
            text = _SLOT.sub(lambda mm: f.number(mm.group(1), mm.group(2)), tok)
            t = text.split()
            g = ["O"] * len(t)
        tokens += t
        tags += g
    return tokens, tags


def make_sentence(rng: random.Random, pools: Pools):
    """One (tokens, tags) sentence."""
    f = _Filler(rng, pools)
    plain = rng.random() < 0.12
    template = rng.choice(PLAIN_TEMPLATES if plain else CORE_TEMPLATES)
    if template[0] in "!^":
        tokens, tags = _realise(template[1:], f)
        if template[0] == "^":
            tokens = [t.upper() for t in tokens]
        return tokens, tags
    lead, tail = "", ""
    r = rng.random()
    if r < 0.18:
        lead = rng.choice(PLAIN_LEADS if plain else LEADS)
    elif r < 0.38 and " said " not in template and ", officials said" not in template:
        tail = rng.choice(PLAIN_TAILS if plain else TAILS)
    lead_toks, lead_tags = _realise(lead, f)
    tokens, tags = _realise(f"{template} {tail} .", f)
    if lead and tags[0] == "O" and tokens[0] not in KEEP_CAPS | set(_DAYS + _MONTHS):
        tokens[0] = tokens[0][0].lower() + tokens[0][1:]
    tokens, tags = lead_toks + tokens, lead_tags + tags
    if tokens[0][0].islower():
        tokens[0] = tokens[0][0].upper() + tokens[0][1:]
    return tokens, tags


def generate(pools: dict, sizes: dict, seed: int):
    """{split: [(tokens, tags)]}; no sentence in two splits."""
    seen = set()
    out = {}
    for split, n in sizes.items():
        rng = random.Random(f"ner-{seed}-{split}")
        rows = []
        while len(rows) < n:
            tokens, tags = make_sentence(rng, pools[split])
            key = " ".join(tokens).lower()
            if key in seen:
                continue
            seen.add(key)
            rows.append((tokens, tags))
        out[split] = rows
    return out
