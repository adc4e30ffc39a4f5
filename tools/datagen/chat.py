"""The chat data (`data/chat/`): the three tasks as conversations, and hand-written general requests.

- `conversations`: train, validation and test conversations, made from the generated rows of the
  same split (never the test split into train) through each task's own `to_chat`, so that the
  instruction wording and the reply format live in one place, the task's module. Each task gives
  `SIZES[split]` conversations; a third of them (rounded up) use the task's canonical instruction,
  the one `lorakit predict` asks with, and the rest cycle through the other templates.
- `GENERAL`: easy general-knowledge questions with accepted answers, written for this course; they
  measure what fine-tuning makes the model forget (`general.jsonl`).
- `REPLAY_PROMPTS`: other general requests; `tools/make_replay.py` has the base model answer them
  (`replay.jsonl`), and training mixes those answers in, against forgetting.

This part needs `lorakit.tasks` (its task objects are passed in); the rest of the generator uses the
standard library only. Randomness comes from seeded `random.Random` instances, one per split.
"""
import json
import math
import random

SIZES = {"train": 1000, "validation": 50, "test": 100}   # conversations per task and split
TASKS = ("sentiment", "ner", "qa")
CANONICAL_SHARE = 1 / 3   # of each task's conversations, at least, ask with the canonical wording


# ---------------------------------------------------------------------------------------------
# Generator rows -> rows in each task's dataset schema (label ids, SQuAD answers), as the readers
# of lorakit give them.
def task_rows(task, rows, split):
    """The generator's rows of one task and split as dataset rows (dicts) of that task."""
    if task.name == "sentiment":
        return [{"text": r["text"], "label": task.labels.index(r["label"])} for r in rows]
    if task.name == "ner":
        return [{"id": str(i), "tokens": list(tokens), "ner_tags": [task.labels.index(t) for t in tags]}
                for i, (tokens, tags) in enumerate(rows)]
    out = []                                      # qa: one row per question, ids as in the JSON file
    for para in rows:
        for question, _kind, _fact, answer, start in para["qas"]:
            out.append({"id": f"{split}-{len(out):05d}", "title": para["title"], "context": para["context"],
                        "question": question, "answers": {"text": [answer], "answer_start": [start]}})
    return out


def pick(task, rows, n, rng):
    """`n` rows, chosen at random: sentiment half of each label, QA spread over many paragraphs
    (one question of every paragraph, in random order, before a second question of any)."""
    if task.name == "sentiment":
        by_label = [[r for r in rows if r["label"] == label] for label in range(len(task.labels))]
        return [r for group in by_label for r in rng.sample(group, n // len(by_label))]
    if task.name == "ner":
        return rng.sample(rows, n)
    paragraphs = {}
    for r in rows:
        paragraphs.setdefault(r["context"], []).append(r)
    groups = list(paragraphs.values())
    rng.shuffle(groups)
    for group in groups:
        rng.shuffle(group)
    rounds = [group[k] for k in range(max(map(len, groups))) for group in groups if k < len(group)]
    return rounds[:n]


def variants(n, count, rng):
    """Instruction variants for `n` conversations: a third (rounded up) 0, the canonical one; the
    rest 1, 2, ..., count - 1 in turn; shuffled."""
    canonical = math.ceil(n * CANONICAL_SHARE)
    chosen = [0] * canonical + [1 + i % (count - 1) for i in range(n - canonical)]
    rng.shuffle(chosen)
    return chosen


def conversations(data, tasks, seed):
    """{split: [conversation]}: SIZES[split] per task, shuffled; each {"messages", "task"} and, for
    the checks and the data card, "_variant" and "_row" (the task's row it was made from)."""
    out = {}
    for split, n in SIZES.items():
        rng = random.Random(f"chat-{seed}-{split}")
        records = []
        for name in TASKS:
            task = tasks[name]
            rows = pick(task, task_rows(task, data[name][split], split), n, rng)
            for row, variant in zip(rows, variants(n, len(task.chat_instructions), rng)):
                messages, reply = task.to_chat(row, variant)
                records.append({"messages": messages + [{"role": "assistant", "content": reply}],
                                "task": name, "_variant": variant, "_row": row})
        rng.shuffle(records)
        out[split] = records
    return out


def jsonl(records):
    """JSON Lines text: one record a line, UTF-8 as is."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def chat_files(data, tasks, seed):
    """({relative path: text} of the chat files that the generator writes, the conversations)."""
    convs = conversations(data, tasks, seed)
    files = {f"chat/{split}.jsonl": jsonl({"messages": c["messages"], "task": c["task"]} for c in records)
             for split, records in convs.items()}
    files["chat/general.jsonl"] = jsonl({"messages": [{"role": "user", "content": q}], "answers": answers}
                                        for topic in GENERAL.values() for q, answers in topic)
    files["chat/replay_prompts.jsonl"] = jsonl({"messages": [{"role": "user", "content": p}]}
                                               for kind in REPLAY_PROMPTS.values() for p in kind)
    return files, convs


def check(convs):
    """Assert what the data card promises about the chat data."""
    for split, records in convs.items():
        for name in TASKS:
            mine = [r for r in records if r["task"] == name]
            assert len(mine) == SIZES[split], (split, name, len(mine))
            assert sum(r["_variant"] == 0 for r in mine) >= SIZES[split] * CANONICAL_SHARE, (split, name)
            assert all(r["messages"][-1]["content"] for r in mine), (split, name)
    questions = [q.lower() for topic in GENERAL.values() for q, _ in topic]
    prompts = [p.lower() for kind in REPLAY_PROMPTS.values() for p in kind]
    assert len(set(questions)) == len(questions) and len(set(prompts)) == len(prompts)
    assert not set(questions) & set(prompts), "a general question is also a replay prompt"
    assert all(answers for topic in GENERAL.values() for _, answers in topic)


# ---------------------------------------------------------------------------------------------
# General questions: easy facts with the answers a right reply contains (whole words, any case).
# Chosen so that the base model, SmolLM2-135M-Instruct, answers most but not all of them right.
GENERAL = {
    "capitals": [
        ("What is the capital of France?", ["Paris"]),
        ("What is the capital of Japan?", ["Tokyo"]),
        ("What is the capital of Germany?", ["Berlin"]),
        ("What is the capital of Egypt?", ["Cairo"]),
        ("What is the capital of Australia?", ["Canberra"]),
        ("Which city is the capital of Greece?", ["Athens"]),
        ("What is the capital of China?", ["Beijing"]),
        ("What is the capital of Kenya?", ["Nairobi"]),
        ("What is the capital of Norway?", ["Oslo"]),
        ("What is the capital of Italy?", ["Rome"]),
    ],
    "arithmetic": [
        ("What is 2 + 2?", ["4", "four"]),
        ("What is 100 divided by 4?", ["25", "twenty-five"]),
        ("What is half of 50?", ["25", "twenty-five"]),
        ("What is 5 times 5?", ["25", "twenty-five"]),
        ("What is 3 + 4?", ["7", "seven"]),
        ("What is 10 minus 3?", ["7", "seven"]),
    ],
    "colours": [
        ("What colour is the sky on a clear day?", ["blue"]),
        ("What colour is a ripe tomato?", ["red"]),
        ("What colour is grass?", ["green"]),
    ],
    "animals": [
        ("What is the largest mammal on Earth?", ["blue whale"]),
        ("How many legs does a dog have?", ["4", "four"]),
        ("How many legs does an insect have?", ["6", "six"]),
    ],
    "opposites": [
        ("What is the opposite of hot?", ["cold"]),
        ("What is the opposite of big?", ["small", "little", "tiny"]),
        ("What is the opposite of happy?", ["sad", "unhappy"]),
        ("What is the opposite of fast?", ["slow"]),
        ("What is the opposite of full?", ["empty"]),
        ("What is the opposite of open?", ["closed", "shut"]),
    ],
    "days and months": [
        ("How many days are there in a week?", ["7", "seven"]),
        ("What is the first month of the year?", ["January"]),
        ("How many months are there in a year?", ["12", "twelve"]),
        ("What is the last month of the year?", ["December"]),
        ("How many days are there in a normal year?", ["365"]),
        ("Which day comes after Monday?", ["Tuesday"]),
    ],
    "science": [
        ("What is the chemical formula of water?", ["H2O"]),
        ("At what temperature in degrees Celsius does water boil?", ["100"]),
        ("What is the star at the centre of our solar system?", ["Sun"]),
        ("Which planet is known as the Red Planet?", ["Mars"]),
        ("What force pulls objects towards the ground?", ["gravity"]),
        ("Which gas do humans need to breathe to stay alive?", ["oxygen"]),
        ("What is the chemical symbol for gold?", ["Au"]),
        ("Which part of the body do we use to see?", ["eyes", "eye"]),
        ("What is the largest planet in our solar system?", ["Jupiter"]),
    ],
    "words and spelling": [
        ("What is the plural of 'mouse'?", ["mice"]),
        ("What is the plural of 'child'?", ["children"]),
        ("What is the plural of 'foot'?", ["feet"]),
        ("How many letters are in the word 'dog'?", ["3", "three"]),
        ("How do you spell the word 'cat' backwards?", ["tac"]),
    ],
    "units": [
        ("How many seconds are there in a minute?", ["60", "sixty"]),
        ("How many grams are there in a kilogram?", ["1000", "1,000", "thousand"]),
        ("How many hours are there in a day?", ["24", "twenty-four"]),
        ("How many metres are there in a kilometre?", ["1000", "1,000", "thousand"]),
        ("How many minutes are there in an hour?", ["60", "sixty"]),
    ],
    "people and books": [
        ("Who wrote the Harry Potter books?", ["Rowling"]),
        ("Who wrote 'Pride and Prejudice'?", ["Austen"]),
        ("Who painted the Mona Lisa?", ["Leonardo", "da Vinci"]),
        ("Who developed the theory of relativity?", ["Einstein"]),
        ("Who wrote 'Hamlet'?", ["Shakespeare"]),
        ("Who was the first person to walk on the Moon?", ["Armstrong"]),
        ("Who discovered penicillin?", ["Fleming"]),
        ("Who wrote 'The Adventures of Tom Sawyer'?", ["Twain"]),
    ],
    "the world": [
        ("What is the largest ocean on Earth?", ["Pacific"]),
        ("What is the longest river in Africa?", ["Nile"]),
        ("What language is spoken in Brazil?", ["Portuguese"]),
        ("What is the tallest mountain in the world?", ["Everest"]),
        ("What is the currency of Japan?", ["yen"]),
        ("Which musical instrument has 88 keys?", ["piano"]),
        ("In which country are the pyramids of Giza?", ["Egypt"]),
        ("What is the name of our galaxy?", ["Milky Way"]),
        ("What is the main ingredient of bread?", ["flour", "wheat"]),
        ("How many wheels does a bicycle have?", ["2", "two"]),
    ],
}

# ---------------------------------------------------------------------------------------------
# Replay prompts: other general requests (none of them a general question above, nor a rewording
# of one), of many kinds, for the base model to answer.
REPLAY_PROMPTS = {
    "facts": [
        "Who invented the telephone?",
        "What is photosynthesis?",
        "Which ocean lies between Africa and Australia?",
        "What is the tallest animal in the world?",
        "How many bones are there in the adult human body?",
        "How fast does light travel?",
        "Who was Marie Curie?",
        "What does DNA stand for?",
        "Which country has the largest population?",
        "What is a volcano?",
        "Where do penguins live?",
        "When did the Second World War end?",
        "What is the Great Wall of China?",
        "What is an atom?",
        "What do pandas eat?",
        "Who painted 'The Starry Night'?",
        "What is the longest bone in the human body?",
        "How far away is the Moon?",
        "What is the smallest country in the world?",
        "Which planet has the most famous rings?",
        "What is the hottest planet in the solar system?",
        "Who was Cleopatra?",
        "What is the Internet?",
        "What are the three states of matter?",
        "What is a mammal?",
        "What do you call a group of wolves?",
        "What is the largest organ of the human body?",
        "What is the periodic table?",
        "Who built the first aeroplane that flew?",
        "What is the Amazon rainforest?",
        "What causes earthquakes?",
        "Which is the coldest continent?",
        "What is the difference between weather and climate?",
        "What is a noun?",
        "What is the Statue of Liberty?",
        "Where is Mount Kilimanjaro?",
        "What is a haiku?",
        "What are the Olympic Games?",
        "Who wrote 'The Odyssey'?",
        "What do the lungs do?",
        "What is an island?",
        "What do koalas eat?",
        "What is the difference between a virus and a bacterium?",
        "What is a democracy?",
        "Who was Mahatma Gandhi?",
        "What is a solar eclipse?",
        "What is the speed of sound?",
        "What are vitamins?",
    ],
    "explanations": [
        "Explain how a bicycle stays upright when it moves.",
        "Explain what a computer program is in simple words.",
        "Explain why we have seasons.",
        "Explain how vaccines work.",
        "Explain the water cycle to a child.",
        "Explain what inflation means.",
        "Why is the ocean salty?",
        "Why do we need sleep?",
        "How does a refrigerator keep food cold?",
        "Explain what recycling is and why it matters.",
        "Why do cats purr?",
        "How do plants get water from the soil?",
        "Explain what a budget is.",
        "What is the difference between a lake and a sea?",
        "How does a compass work?",
        "Why do onions make people cry?",
        "Explain what an election is.",
        "How do aeroplanes stay in the air?",
        "What makes thunder?",
        "Why do we have day and night?",
        "Explain what a fraction is.",
        "Why is exercise good for you?",
        "How does soap clean your hands?",
        "What happens to an egg when you boil it?",
        "Why do some animals hibernate?",
        "How do magnets work?",
        "What is the difference between a town and a city?",
        "Explain the rules of chess in a few sentences.",
        "How do fish breathe underwater?",
        "Why do we brush our teeth?",
        "Explain what the scale of a map tells you.",
        "How are clouds formed?",
        "Why does ice float on water?",
        "Explain what an email is to someone who has never used one.",
        "What does a firefighter do?",
        "Why do bakers let dough rise?",
        "Why do leaves change colour in autumn?",
        "How does a rainbow form?",
    ],
    "lists": [
        "List five vegetables.",
        "Name three musical instruments that you blow into.",
        "Give me four ideas for a rainy day at home.",
        "Name five countries in South America.",
        "List three things you need to bake a cake.",
        "Name four sports played with a ball.",
        "Give three examples of renewable energy.",
        "List five animals that live in the sea.",
        "Name three famous paintings.",
        "List some healthy breakfast ideas.",
        "Name four jobs that involve helping people.",
        "List the steps to make a cup of tea.",
        "Give me five words that rhyme with 'light'.",
        "Name three things that are round.",
        "List four things to pack for a day at the beach.",
        "Name three insects.",
        "Name some board games for families.",
        "List three ways to save water at home.",
        "Give me a shopping list for a simple pasta dinner.",
        "Name five kinds of trees.",
        "List four things you can do to feel less stressed.",
        "Name three rivers in Europe.",
        "List five adjectives that describe the sea.",
        "Give me three names for a friendly robot.",
        "List four safety rules for riding a bike.",
        "Name three types of clouds.",
        "What are the primary colours?",
        "Name five things you find in a kitchen.",
        "List three good habits for students.",
        "Name four birds.",
        "Give three examples of mammals that live in water.",
        "List five verbs about cooking.",
        "Name three hobbies you can do outdoors.",
    ],
    "rewriting": [
        'Rewrite this sentence in the past tense: "She walks to the market every morning."',
        'Make this sentence more polite: "Give me the report now."',
        'Correct the spelling in this sentence: "I recieved teh letter yesterday."',
        'Rewrite this sentence in simpler words: "The committee postponed the meeting due to '
        'unforeseen circumstances."',
        'Turn this into a question: "The train leaves at noon."',
        'Summarise in one sentence: "Tom woke up late, missed the bus, ran all the way to school and '
        'arrived just as the bell rang."',
        'Translate "thank you" into French.',
        'Translate "good morning" into Spanish.',
        'Rewrite this sentence in the passive voice: "The dog chased the ball."',
        'Make this sentence shorter: "In my personal opinion, I think that the film was really very good."',
        "Rewrite \"I can't come to the party\" in a friendlier way.",
        'Change this sentence to the future tense: "We play football on Saturdays."',
        'Write this in capital letters: "keep calm and carry on"',
        "Put these words in alphabetical order: banana, apple, cherry, date.",
        "Fix the grammar: \"He don't like apples.\"",
        "Rewrite this as a formal email opening: \"Hey, what's up?\"",
        'What does "it is raining cats and dogs" mean?',
        'Combine these two sentences into one: "The dog barked. The postman ran away."',
        'Make this headline more exciting: "Local school opens new library."',
        'Rewrite the sentence without the word "very": "The soup was very hot."',
        "Turn this list into a sentence: eggs, milk, bread.",
        'Shorten this to three words: "Please remember to close the door behind you."',
        'Rewrite this sentence for a child: "Photosynthesis converts light energy into chemical energy."',
        'Make this sentence negative: "I like coffee."',
        'Add the missing punctuation: "where are you going said the teacher"',
        'Rewrite in British English: "I love the color of your apartment."',
        'Replace "big" with a stronger word: "It was a big mistake."',
        'Put these words in order to make a sentence: "park the we to went".',
        'Give a title to this story: "A little girl found a lost puppy and took it home."',
        'Rewrite this sentence in a happier tone: "The day was long and boring."',
        'Translate "Where is the train station?" into German.',
        'What one word means "a person who writes books"?',
        'Give a word that means the same as "quick".',
    ],
    "maths": [
        "What is 15 plus 27?",
        "If I have 3 apples and buy 5 more, how many apples do I have?",
        "What is 144 divided by 12?",
        "What is 30% of 200?",
        "A train travels 60 km in one hour. How far does it go in three hours?",
        "What is 1000 minus 1?",
        "Is 17 a prime number?",
        "What is the next number in the sequence 2, 4, 6, 8?",
        "What is 11 squared?",
        "Round 3.76 to one decimal place.",
        "What is a quarter of 80?",
        "A pizza is cut into 8 slices and I eat 3. How many slices are left?",
        "What is 7 plus 8 minus 5?",
        "What is the average of 4, 8 and 12?",
        "Which is larger, 0.5 or 0.45?",
        "What is 6 times 7?",
        "Write the number 250 in words.",
        "What is 3 cubed?",
        "A shirt costs $20 and is 25% off. What is the new price?",
        "What is the sum of the numbers from 1 to 10?",
        "What is 50 plus 75?",
        "What is 81 minus 19?",
        "Is 35 an even or an odd number?",
        "Double 12 and add 6. What do you get?",
        "What is 2 to the power of 5?",
        "How many eggs are there in two dozen?",
        "What time is it 45 minutes after 2:30?",
    ],
    "advice": [
        "How can I sleep better at night?",
        "Give me some tips for a job interview.",
        "How can I learn a new language faster?",
        "What should I do if I feel stressed before an exam?",
        "How do I make a good first impression?",
        "How can I save money each month?",
        "How can I stay focused while studying?",
        "How do I take care of a houseplant?",
        "How can I be a better listener?",
        "What should I pack for a weekend hiking trip?",
        "How can I drink more water during the day?",
        "Give me advice on starting to run.",
        "How do I write a good thank-you note?",
        "How can I keep my computer safe from viruses?",
        "What should I do if I get lost in a city?",
        "How can I make new friends in a new town?",
        "How do I start a vegetable garden?",
        "How can I stop putting things off?",
        "What is a good way to remember people's names?",
        "How do I prepare for a long flight?",
        "How can I spend less time looking at screens?",
        "How can I help a friend who is feeling sad?",
        "How should I prepare for a presentation?",
        "How do I keep my kitchen clean?",
        "What should I check when buying a used car?",
        "How can I improve my handwriting?",
        "How do I calm down when I'm angry?",
        "How can I make my mornings less rushed?",
        "How do I choose a good book to read?",
    ],
    "writing": [
        "Write a haiku about the sea.",
        "Suggest a name for a pet goldfish.",
        "Write a short thank-you note to a neighbour who watered my plants.",
        "Tell me a short joke.",
        "Write two sentences about a cat who loves rain.",
        "Describe a sunny beach in three sentences.",
        "Write a short poem about autumn.",
        "Invent a name for a new ice cream flavour.",
        "Write a one-line birthday message for my grandmother.",
        "Describe the taste of a lemon.",
        "Write the first sentence of a story about a lost key.",
        "Write a riddle about the Moon.",
        "Write a short motivational quote.",
        "Write a tweet announcing a bake sale.",
        "Give me a fun fact about octopuses.",
        "Write a limerick about a dog.",
        "Suggest a theme for a children's birthday party.",
        "Write a short dialogue between a customer and a waiter.",
        "Describe a busy city street.",
        "Write a slogan for a bicycle shop.",
        "Write an invitation to a picnic.",
        "Tell me something interesting about space.",
        "What would you take to a desert island, and why?",
        "Write a postcard message from a holiday in the mountains.",
    ],
    "conversation": [
        "Hello! How are you today?",
        "What can you help me with?",
        "Tell me about yourself.",
        "Thank you for your help!",
        "I'm bored. What should I do?",
        "Good night!",
    ],
}
