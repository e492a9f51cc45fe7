package dspy_test

import (
	"context"
	"fmt"
	"log"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// ExampleImage asks about an image: the user message goes out as OpenAI
// content parts, the image between the text of the other fields, as DSPy
// sends it. ImageFromFile and ImageFromBytes build data URIs the same way.
func ExampleImage() {
	srv := simlm.New(simlm.Config{Seed: 1}) // the simulated LM reads the text parts
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client, err := lm.New(lm.Options{Model: "simlm-1", BaseURL: srv.URL()})
	if err != nil {
		log.Fatal(err)
	}

	photo, err := dspy.NewImage("https://example.com/cat.png")
	if err != nil {
		log.Fatal(err)
	}
	p := dspy.NewPredict(dspy.MustSignature("image: dspy.Image, question -> answer"))
	inputs := dspy.NewExample("image", photo, "question", "What animal is this?")
	if _, err := p.Call(dspy.WithLM(context.Background(), client), inputs); err != nil {
		log.Fatal(err)
	}

	msgs, err := (&dspy.ChatAdapter{}).Format(p.Signature, nil, inputs)
	if err != nil {
		log.Fatal(err)
	}
	for _, part := range msgs[len(msgs)-1].Parts {
		if part.Type == dspy.PartImage {
			fmt.Println("image_url:", part.ImageURL.URL)
		} else {
			fmt.Printf("text: %.40q\n", part.Text)
		}
	}
	fmt.Println("calls:", client.Usage().Calls)
	// Output:
	// text: "[[ ## image ## ]]\n"
	// image_url: https://example.com/cat.png
	// text: "\n\n[[ ## question ## ]]\nWhat animal is th"
	// calls: 1
}
