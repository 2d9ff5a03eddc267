namespace GqaGen.Synthetic;

/// <summary>The English text the synthetic vocabularies learn their merges from: a few paragraphs written for this
/// project (no downloaded data), with the common short words, digits, punctuation and contractions a vocabulary
/// should cover.</summary>
internal static class SyntheticCorpus
{
    public const string Text = """
        The lighthouse stood at the end of the long stone pier, and every night the keeper climbed its 112 steps to light the lamp. She had done it for 27 years. The sea was never the same twice: some nights it was calm and silver under the moon, and on other nights the waves broke over the rail and the wind screamed in the glass. She didn't mind. It's the work that matters, she would say, not the weather.

        In the morning she wrote in the log. The log was a thick book with a green cover, and in it she kept the time the lamp was lit, the time it was put out, the state of the sea and the ships that passed. On a good day there were 3 or 4 ships; on a busy day in summer there could be 15. She wrote the name of each ship when she could read it, and the direction it was going: north to the harbour, or south to the open water.

        People from the town came to visit in the afternoon. Children asked the same questions every time. How far can the light be seen? About 20 miles on a clear night. What happens if the lamp goes out? Then the ships would not know where the rocks are, and that's why it never goes out. Does it get lonely? Sometimes, she said, but the gulls are good company, and the radio plays music in the evening.

        One winter a storm lasted for 9 days. The road to the town was closed, the boat could not come with food, and the power line was cut on the second night. The keeper ran the old generator, and when the fuel was low she turned off every light in the house except the one in the tower. She ate bread and soup and tea, and she wrote in the log each morning as she always did. When the storm was over, the people of the town came out to the pier with a cake, and they thanked her for keeping the light on.

        Now the lamp is run by a machine, and there is no keeper. A small computer checks the bulb, the clock and the power, and it sends a message to the office if anything is wrong. The log is in the museum in the town, open at the page for the storm. If you read it, you'll see that she never wrote that she was tired or afraid. She wrote the time, the sea, the ships, and at the end of each day the same four words: the light is on.

        """;
}
