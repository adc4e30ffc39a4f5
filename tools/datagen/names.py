"""Name lists for the generated data, and their split into train / validation / test parts.

Every name (a first name, a surname, a city, an organisation, a product...) belongs to exactly one
split, chosen by a hash of the name itself (`split_of`), so that:

- the test split uses people, places, organisations and products that training never saw
  (about 70% of each list goes to train, 15% to validation, 15% to test);
- the same string lands in the same split wherever it appears ("Thomas" the first name and
  "Thomas" the surname; "Lima" the surname and "Lima" the city);
- a name built on another name follows it ("Bank of Montreal" goes where "Montreal" goes;
  "Costa Rica" goes where the surname "Costa" goes), and one built on names of two different
  splits is dropped, so no held-out name hides inside a training name.

The few deliberately ambiguous words in `AMBIGUOUS` ("Jordan" the person and the country,
"Washington" the city, the person and the newspaper) are shared by all splits: the point there is
that context decides the type.

Example:
    >>> pools = build_pools()
    >>> sorted(pools)
    ['test', 'train', 'validation']
    >>> split_of("Okafor") in SPLITS
    True
"""
import hashlib
import random
from dataclasses import dataclass

SPLITS = ("train", "validation", "test")


def _lst(text):
    """Split a comma- or newline-separated block into a list of names (order kept)."""
    return [x.strip() for x in text.replace("\n", ",").split(",") if x.strip()]


def split_of(name: str) -> str:
    """The split that a name belongs to by its own hash: 70% train, 15% validation, 15% test."""
    h = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big") % 20
    return "train" if h < 14 else ("validation" if h < 17 else "test")


# ---------------------------------------------------------------------------------------------
# People: culture -> (female first names, male first names), culture -> surnames.
# Words that are also common English words (Will, May, Grace, Price, Young, Long...) are left out,
# so that a name never collides with ordinary text.
FIRST_NAMES = {
    "english": (_lst("""Emily, Olivia, Sophie, Hannah, Amelia, Jessica, Lucy, Megan, Rebecca, Laura,
        Rachel, Katherine, Eleanor, Harriet, Abigail, Natalie, Samantha, Bethany, Caroline, Fiona,
        Gemma, Imogen, Joanna, Lauren, Madeleine, Philippa, Rosalind, Tamsin, Alison, Deborah, Helen,
        Margaret, Susan, Jennifer, Ashley, Brittany, Kayla, Heather, Melissa, Danielle, Courtney"""),
                _lst("""James, Oliver, Harry, Thomas, George, William, Jack, Daniel, Matthew, Samuel,
        Benjamin, Edward, Henry, Charles, Christopher, Andrew, Jonathan, Nicholas, Richard, Robert,
        Stephen, Timothy, Patrick, Gareth, Callum, Declan, Owen, Rhys, Alistair, Duncan, Graham,
        Nigel, Simon, Kevin, Brian, Gary, Tyler, Ryan, Brandon, Justin, Kyle, Dylan, Ethan, Logan""")),
    "spanish": (_lst("""María, Carmen, Lucía, Sofía, Valentina, Camila, Isabel, Elena, Paula, Daniela,
        Gabriela, Ana, Marta, Alejandra, Ximena, Renata, Guadalupe, Beatriz, Pilar, Rocío, Inés,
        Julieta, Florencia, Natalia, Mariana, Catalina, Verónica, Lorena, Adriana, Claudia"""),
                _lst("""José, Juan, Carlos, Javier, Miguel, Alejandro, Diego, Pablo, Sergio, Andrés,
        Fernando, Ricardo, Jorge, Luis, Manuel, Rafael, Mateo, Emilio, Gonzalo, Ignacio, Rodrigo,
        Álvaro, Esteban, Joaquín, Hernán, Raúl, Felipe, Tomás, Víctor""")),
    "chinese": (_lst("""Fang, Jing, Yan, Ling, Xin, Hui, Ying, Min, Xiaoyu, Yuting, Jiayi, Zihan,
        Meilin, Xueying, Ruoxi, Shuang, Yifei, Wenjing, Lijuan, Yue, Mei, Qing"""),
                _lst("""Wei, Jun, Hao, Qiang, Jian, Ming, Tao, Chao, Yong, Lei, Peng, Zhiwei, Haoran,
        Yichen, Zihao, Jiahao, Xiaoming, Guoqiang, Jianguo, Kai, Bin, Feng""")),
    "indian": (_lst("""Priya, Ananya, Aishwarya, Deepika, Kavya, Lakshmi, Meera, Neha, Pooja, Radhika,
        Shreya, Sunita, Anjali, Divya, Ishita, Nandini, Pallavi, Riya, Sanjana, Tanvi, Vidya, Aarti,
        Bhavna, Gayatri, Harini, Jyoti, Madhuri, Padma, Swati"""),
               _lst("""Rahul, Arjun, Vikram, Rohan, Aditya, Amit, Anil, Ravi, Sanjay, Suresh, Rajesh,
        Karthik, Manish, Nikhil, Pranav, Siddharth, Varun, Vijay, Arun, Deepak, Gaurav, Ishaan, Kunal,
        Mohan, Naveen, Prakash, Rakesh, Sandeep, Vivek""")),
    "arabic": (_lst("""Fatima, Aisha, Mariam, Layla, Noor, Yasmin, Zainab, Huda, Amira, Salma, Rania,
        Dalia, Hala, Nadia, Samira, Lina, Reem, Dina, Ghada, Hanan, Maha, Mona, Rana, Yara, Jamila,
        Karima, Latifa"""),
               _lst("""Mohammed, Ahmed, Omar, Ali, Hassan, Hussein, Khalid, Youssef, Ibrahim, Mustafa,
        Tariq, Karim, Nabil, Samir, Walid, Faisal, Hamza, Bilal, Jamal, Rashid, Saeed, Ziad, Adel,
        Majid, Marwan, Fadi, Imad, Sami""")),
    "nigerian": (_lst("""Chiamaka, Ngozi, Adaeze, Funmilayo, Folake, Yetunde, Nneka, Ifeoma, Amaka,
        Bukola, Temitope, Chioma, Halima, Hadiza, Ebere, Kemi, Titilayo, Omolara, Adanna, Obiageli,
        Ijeoma, Abimbola, Chinwe, Eniola"""),
                 _lst("""Chinedu, Emeka, Obinna, Oluwaseun, Tunde, Babatunde, Segun, Femi, Kunle,
        Chukwuemeka, Ikechukwu, Nnamdi, Uchenna, Ifeanyi, Musa, Abubakar, Sani, Usman, Yakubu,
        Olumide, Kayode, Dapo, Gbenga, Tobenna, Ejike, Chidi, Obafemi, Rotimi, Jide""")),
    "russian": (_lst("""Anastasia, Olga, Tatiana, Ekaterina, Irina, Svetlana, Yulia, Anna, Darya,
        Ksenia, Polina, Alina, Marina, Vera, Galina, Lyudmila, Oksana, Nadezhda, Larisa, Veronika,
        Zhanna, Alyona, Inna, Raisa"""),
                _lst("""Dmitri, Sergei, Alexei, Ivan, Nikolai, Vladimir, Mikhail, Andrei, Pavel, Yuri,
        Boris, Oleg, Igor, Viktor, Konstantin, Anatoly, Gennady, Maxim, Artyom, Denis, Roman,
        Stanislav, Timur, Vadim, Yevgeny, Fyodor, Grigory, Ilya, Kirill, Leonid""")),
    "japanese": (_lst("""Yui, Hina, Sakura, Aoi, Yuna, Haruka, Misaki, Nanami, Ayaka, Rin, Mio,
        Akari, Kaede, Yuko, Keiko, Naoko, Tomoko, Emi, Chihiro, Asuka, Noriko, Megumi, Ayumi,
        Hikari, Kanako, Saori, Yoshiko"""),
                 _lst("""Haruto, Sota, Yuto, Ren, Takumi, Hiroshi, Kenji, Takeshi, Daisuke, Kazuki,
        Ryo, Shota, Kenta, Naoki, Satoshi, Tatsuya, Yusuke, Kaito, Riku, Hayato, Masato, Shinji,
        Tomohiro, Akira, Makoto, Koji, Hideo, Yoshiro""")),
    "german": (_lst("""Lena, Lea, Mia, Leonie, Katharina, Julia, Anke, Birgit, Franziska, Gisela,
        Heike, Ingrid, Jutta, Kerstin, Lisa, Monika, Petra, Sabine, Silke, Ursula, Anja, Greta,
        Johanna, Stefanie, Wiebke"""),
               _lst("""Lukas, Jonas, Leon, Felix, Maximilian, Tobias, Florian, Stefan, Matthias,
        Andreas, Michael, Markus, Jürgen, Klaus, Wolfgang, Dieter, Uwe, Horst, Günter, Helmut,
        Rainer, Sebastian, Niklas, Moritz, Philipp, Dirk""")),
    "french": (_lst("""Camille, Chloé, Léa, Manon, Juliette, Louise, Margaux, Océane, Pauline,
        Amélie, Aurélie, Céline, Delphine, Élodie, Françoise, Geneviève, Hélène, Isabelle, Mathilde,
        Nathalie, Sandrine, Sylvie, Valérie, Virginie, Brigitte, Clémence, Anaïs, Solène, Agathe"""),
               _lst("""Antoine, Baptiste, Clément, Damien, Étienne, François, Guillaume, Hugo, Julien,
        Laurent, Mathieu, Nicolas, Olivier, Pierre, Quentin, Rémi, Sébastien, Thierry, Vincent, Yann,
        Alain, Bernard, Christophe, Didier, Emmanuel, Fabrice, Gérard, Jean-Luc, Jean-Pierre,
        Philippe""")),
    "korean": (_lst("""Ji-woo, Seo-yeon, Min-ji, Ha-eun, Soo-ah, Yoo-jin, Eun-ji, Hye-jin, Su-bin,
        Da-eun, Ye-jin, Na-yeon, Ji-hye, So-yeon, Chae-won, Hyun-jung, Mi-kyung, Sun-hee, Young-mi"""),
               _lst("""Min-jun, Seo-jun, Do-yoon, Ji-ho, Joon-ho, Hyun-woo, Sung-min, Jae-won,
        Dong-hyun, Sang-woo, Tae-yang, Woo-jin, Jin-woo, Kyung-soo, Chul-soo, Young-ho, Seung-hoon,
        Jong-min, Hyun-soo, Byung-chul""")),
    "brazilian": (_lst("""Larissa, Fernanda, Juliana, Letícia, Bruna, Tatiane, Vanessa, Aline, Luana,
        Rafaela, Thaís, Raquel, Carolina, Isadora, Marcela, Priscila, Giovanna, Lívia, Débora,
        Luciana, Simone, Patrícia"""),
                  _lst("""João, Pedro, Gabriel, Matheus, Guilherme, Gustavo, Bruno, Thiago, Leonardo,
        Vinícius, Eduardo, Caio, Fábio, Marcelo, Márcio, Paulo, Renato, Sérgio, Luiz, Otávio,
        Henrique, Diogo, Davi""")),
    "italian": (_lst("""Giulia, Chiara, Francesca, Alessandra, Federica, Martina, Sara, Elisa, Silvia,
        Roberta, Paola, Serena, Ilaria, Beatrice, Alessia, Benedetta"""),
                _lst("""Marco, Luca, Matteo, Alessandro, Lorenzo, Francesco, Giovanni, Davide,
        Stefano, Riccardo, Giuseppe, Antonio, Salvatore, Federico, Emanuele, Massimo, Fabrizio,
        Vittorio""")),
    "turkish": (_lst("""Elif, Zeynep, Ayşe, Fatma, Emine, Merve, Esra, Büşra, Selin, Ebru, Gül,
        Hülya, Melike, Nazlı, Özlem, Pınar, Seda, Tuğba, Yasemin"""),
                _lst("""Mehmet, Ahmet, Hüseyin, Hasan, İbrahim, Murat, Emre, Burak, Cem, Kerem, Oğuz,
        Serkan, Tolga, Volkan, Yusuf, Barış, Onur, Deniz""")),
    "polish": (_lst("""Agnieszka, Katarzyna, Małgorzata, Magdalena, Aleksandra, Dorota, Ewa,
        Krystyna, Zofia, Karolina, Weronika, Justyna, Beata, Iwona, Halina"""),
               _lst("""Piotr, Krzysztof, Tomasz, Paweł, Marcin, Michał, Łukasz, Grzegorz, Jakub,
        Mateusz, Adam, Marek, Wojciech, Kamil, Dariusz, Rafał, Jacek, Andrzej, Zbigniew, Bartosz""")),
    "vietnamese": (_lst("Linh, Lan, Hoa, Huong, Thao, Trang, Ngoc, Phuong, Thu, Hanh, Nhung, Quynh"),
                   _lst("Minh, Duc, Hung, Tuan, Dung, Quang, Hai, Thanh, Trung, Khanh, Phong, Huy")),
    "kenyan": (_lst("""Wanjiru, Achieng, Njeri, Akinyi, Wambui, Nyambura, Atieno, Zawadi, Neema,
        Mwajuma, Rehema, Makena, Nafula, Chebet, Wairimu"""),
               _lst("""Kamau, Otieno, Mwangi, Kiprono, Ochieng, Omondi, Baraka, Juma, Jabari, Mutua,
        Kibet, Wafula, Onyango, Kariuki, Njoroge, Barasa, Kiptoo, Kimani""")),
    "persian": (_lst("""Shirin, Parisa, Maryam, Nasrin, Roya, Laleh, Mina, Azadeh, Farah, Golnaz,
        Leila, Neda, Soraya, Yasaman"""),
                _lst("""Reza, Hossein, Mehdi, Amir, Babak, Dariush, Farid, Kamran, Kaveh, Navid, Omid,
        Parviz, Arash""")),
    "nordic_dutch": (_lst("""Sanne, Femke, Lotte, Anouk, Eline, Astrid, Freya, Sigrid, Maja, Linnea,
        Elin, Karin, Hanne, Liv"""),
                     _lst("""Daan, Bram, Thijs, Ruben, Joris, Lars, Erik, Magnus, Anders, Henrik, Nils,
        Sven, Bjorn, Mikkel""")),
    "greek": (_lst("""Eleni, Katerina, Dimitra, Ioanna, Vasiliki, Despina, Chrysa, Athina, Theodora,
        Kalliopi"""),
              _lst("""Giorgos, Dimitris, Nikos, Kostas, Yannis, Panagiotis, Christos, Vasilis,
        Stavros, Michalis, Thanasis, Spyros, Alexandros, Manolis""")),
    "ghanaian": (_lst("Ama, Akosua, Abena, Adwoa, Efua, Afua, Yaa, Esi, Akua, Adjoa, Araba, Maame"),
                 _lst("Kwame, Kofi, Kwabena, Kwaku, Yaw, Kojo, Kwesi, Fiifi, Ekow, Kobina")),
}

LAST_NAMES = {
    "english": _lst("""Smith, Johnson, Williams, Jones, Davies, Taylor, Wilson, Evans, Thomas, Roberts,
        Walker, Wright, Thompson, Robinson, Hughes, Edwards, Harris, Clarke, Lewis, Turner, Collins,
        Mitchell, Cooper, Parker, Bennett, Murphy, Kelly, Sullivan, Fletcher, Harrison, Gallagher,
        Holloway, Pemberton, Whitfield, Ashworth, Brennan, Caldwell, Donnelly, Fitzgerald,
        Hargreaves, Kendrick, Lockwood, McAllister, O'Brien, O'Connor, Prescott, Radcliffe, Sinclair,
        Thornton, Underwood, Wainwright, Yates, Anderson, Henderson, Richardson, Patterson, Crawford,
        Campbell, Stewart, Fraser, Ferguson, MacLeod"""),
    "spanish": _lst("""García, Martínez, López, González, Rodríguez, Fernández, Pérez, Sánchez, Ramírez,
        Torres, Flores, Rivera, Gómez, Díaz, Morales, Herrera, Jiménez, Ruiz, Álvarez, Romero,
        Navarro, Domínguez, Vargas, Castillo, Ortega, Delgado, Guerrero, Medina, Castro, Vega, Rojas,
        Mendoza, Salazar, Iglesias, Cabrera, Fuentes, Aguilar, Villanueva, Paredes, Echeverría,
        Quintero, Zapata, Ibáñez, Soto, Cortés"""),
    "chinese": _lst("""Wang, Li, Zhang, Liu, Chen, Huang, Zhao, Wu, Zhou, Xu, Zhu, Hu, Guo, Gao, Lin,
        Luo, Zheng, Liang, Xie, Tang, Deng, Cao, Zeng, Xiao, Tian, Pan, Yuan, Cai, Jiang, Cheng, Ren,
        Shen, Yao, Qian, Fu"""),
    "indian": _lst("""Sharma, Patel, Singh, Kumar, Gupta, Reddy, Iyer, Nair, Menon, Rao, Joshi, Mehta,
        Shah, Desai, Chatterjee, Banerjee, Mukherjee, Bose, Das, Ghosh, Kapoor, Malhotra, Khanna,
        Chopra, Verma, Mishra, Pandey, Tiwari, Agarwal, Bhat, Pillai, Krishnan, Subramanian,
        Venkatesh, Naidu, Kulkarni, Deshpande, Chauhan, Saxena, Srinivasan"""),
    "arabic": _lst("""al-Farsi, al-Rashid, al-Hashimi, Haddad, Khoury, Mansour, Saleh, Hamdan,
        Abdullah, Aziz, Barakat, Darwish, Fakhoury, Ghanem, Habib, Jaber, Kassem, Mahmoud, Najjar,
        Rahman, Sabbagh, Shami, Tahan, Yassin, Zayed, el-Sayed, Bakr, Amin, Suleiman, Othman, Karam"""),
    "nigerian": _lst("""Okafor, Adeyemi, Okonkwo, Eze, Nwosu, Obi, Balogun, Adebayo, Ogunleye,
        Oyelaran, Abiodun, Afolabi, Akinola, Chukwu, Bello, Danjuma, Lawal, Nwachukwu, Obiora, Okeke,
        Onyekachi, Oyelowo, Uzoma, Akande, Olawale, Ekwueme, Anozie, Ogbonna, Adesanya, Fashola,
        Oladipo, Odukoya"""),
    "russian": _lst("""Ivanov, Petrov, Smirnov, Volkov, Kuznetsov, Popov, Sokolov, Lebedev, Kozlov,
        Novikov, Morozov, Pavlov, Fedorov, Orlov, Zaitsev, Belov, Medvedev, Tarasov, Sorokin, Kiselev,
        Makarov, Nikitin, Zakharov, Frolov, Karpov, Gusev, Titov, Abramov, Yegorov, Komarov, Antonov,
        Borisov, Sergeyev"""),
    "japanese": _lst("""Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi,
        Kato, Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi, Shimizu,
        Yamazaki, Mori, Ikeda, Hashimoto, Ishikawa, Ogawa, Fujita, Okada, Goto, Hasegawa, Murakami,
        Kondo, Ishii, Sakamoto, Endo, Aoki, Fujii, Nishimura, Fukuda, Ota"""),
    "german": _lst("""Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz,
        Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Schröder, Neumann, Schwarz, Zimmermann,
        Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Krause, Meier, Lehmann, Schulze, Maier,
        Köhler, Herrmann, König, Mayer, Huber, Kaiser, Fuchs, Peters, Scholz, Möller, Hahn, Vogel,
        Friedrich, von Hagen, von Arnim"""),
    "french": _lst("""Martin, Dubois, Robert, Richard, Durand, Leroy, Moreau, Simon, Lefebvre, Michel,
        David, Bertrand, Roux, Fournier, Morel, Girard, André, Lefèvre, Mercier, Dupont, Lambert,
        Bonnet, Legrand, Garnier, Faure, Rousseau, Guérin, Henry, Roussel, Perrin, Morin, Gauthier,
        Dumont, Fontaine, Chevalier, Masson, de Villiers, de la Roche"""),
    "korean": _lst("""Kim, Lee, Park, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Seo, Shin, Kwon,
        Hwang, Ahn, Yoo, Jeon, Baek, Heo, Noh, Bae"""),
    "brazilian": _lst("""Silva, Santos, Oliveira, Souza, Ferreira, Alves, Pereira, Lima, Gomes, Costa,
        Ribeiro, Martins, Carvalho, Almeida, Lopes, Sousa, Fernandes, Vieira, Barbosa, Rocha, Dias,
        Nascimento, Andrade, Moreira, Nunes, Marques, Machado, Mendes, Freitas, Cardoso, Ramos,
        Gonçalves, Teixeira, Cavalcanti, Monteiro, Moura, Correia, Pinto, Araújo"""),
    "italian": _lst("""Rossi, Russo, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno,
        Gallo, Conti, De Luca, Mancini, Giordano, Rizzo, Lombardi, Moretti, Barbieri, Santoro,
        Mariani, Rinaldi, Caruso, Galli, Leone, Longo, Gentile, Martinelli, Vitale, Lombardo, Serra,
        Coppola, De Santis, D'Angelo, Marchetti"""),
    "turkish": _lst("""Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,
        Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Özkan, Şimşek, Polat, Erdem, Akın, Güneş,
        Aksoy"""),
    "polish": _lst("""Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski,
        Zieliński, Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski,
        Krawczyk, Piotrowski, Grabowski, Nowakowski, Pawłowski, Michalski, Wróbel, Zając, Wieczorek"""),
    "vietnamese": _lst("""Nguyen, Tran, Pham, Hoang, Phan, Vu, Vo, Dang, Bui, Ngo, Duong, Ly, Trinh,
        Dinh, Luong, Truong, Lam"""),
    "kenyan": _lst("""Odhiambo, Wanjala, Kiprop, Rotich, Chepkoech, Mutai, Korir, Wekesa, Owino,
        Ndungu, Maina, Gitau, Cheruiyot, Kamau, Mwangi, Otieno"""),
    "persian": _lst("""Ahmadi, Hosseini, Karimi, Mohammadi, Rezaei, Moradi, Jafari, Rahimi, Sadeghi,
        Hashemi, Tehrani, Farahani, Ghorbani, Kazemi, Shirazi, Bagheri, Naderi, Rostami, Amini"""),
    "nordic_dutch": _lst("""de Vries, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer, Mulder,
        de Groot, Hendriks, van Leeuwen, Dekker, van den Heuvel, Jansen, Hansen, Johansson, Andersson,
        Nilsson, Larsson, Karlsson, Eriksson, Olsen, Lindqvist, Dahl, Holm"""),
    "greek": _lst("""Papadopoulos, Georgiou, Nikolaidis, Papadakis, Konstantinou, Dimitriou,
        Oikonomou, Karagiannis, Vlachos, Papanikolaou, Alexiou, Antoniou, Makris, Pappas,
        Christodoulou"""),
    "ghanaian": _lst("""Mensah, Asante, Owusu, Boateng, Appiah, Osei, Agyeman, Acheampong, Darko,
        Ofori, Amoah, Antwi, Frimpong, Gyamfi, Annan, Quaye, Addo, Tetteh, Boakye, Sarpong"""),
}

# Cultures that usually write the surname first.
SURNAME_FIRST = {"chinese": 0.7, "korean": 0.8, "vietnamese": 0.8}

# ---------------------------------------------------------------------------------------------
# Places.
CITIES = _lst("""London, Manchester, Birmingham, Glasgow, Edinburgh, Leeds, Liverpool, Bristol,
    Cardiff, Belfast, Dublin, Cork, Cambridge, Oxford, New York, Los Angeles, Chicago, Boston,
    Seattle, San Francisco, Miami, Atlanta, Detroit, Philadelphia, Toronto, Montreal, Vancouver,
    Calgary, Ottawa, Mexico City, Guadalajara, Monterrey, Bogota, Medellin, Lima, Quito, Caracas,
    Buenos Aires, Rosario, Montevideo, Asuncion, La Paz, São Paulo, Rio de Janeiro, Belo Horizonte,
    Recife, Porto Alegre, Curitiba, Brasilia, Fortaleza, Manaus, Madrid, Barcelona, Valencia, Seville,
    Bilbao, Malaga, Zaragoza, Lisbon, Porto, Lyon, Marseille, Toulouse, Bordeaux, Lille, Nantes,
    Strasbourg, Berlin, Munich, Hamburg, Frankfurt, Cologne, Stuttgart, Dresden, Leipzig, Düsseldorf,
    Hanover, Vienna, Salzburg, Graz, Zurich, Geneva, Basel, Bern, Milan, Rome, Naples, Turin, Venice,
    Bologna, Genoa, Palermo, Amsterdam, Rotterdam, Utrecht, Brussels, Antwerp, Ghent, Copenhagen,
    Aarhus, Stockholm, Gothenburg, Malmo, Oslo, Bergen, Helsinki, Tampere, Reykjavik, Warsaw, Krakow,
    Gdansk, Wroclaw, Poznan, Prague, Brno, Budapest, Bratislava, Bucharest, Belgrade, Zagreb,
    Ljubljana, Sarajevo, Athens, Thessaloniki, Istanbul, Ankara, Izmir, Moscow, St Petersburg,
    Novosibirsk, Kazan, Yekaterinburg, Kyiv, Kharkiv, Odesa, Minsk, Vilnius, Riga, Tallinn, Tbilisi,
    Yerevan, Baku, Almaty, Tashkent, Cairo, Alexandria, Casablanca, Rabat, Marrakesh, Tunis, Algiers,
    Khartoum, Addis Ababa, Nairobi, Mombasa, Kampala, Kigali, Dar es Salaam, Lusaka, Harare,
    Johannesburg, Cape Town, Durban, Pretoria, Lagos, Abuja, Kano, Ibadan, Accra, Kumasi, Dakar,
    Abidjan, Bamako, Luanda, Kinshasa, Maputo, Riyadh, Jeddah, Dubai, Abu Dhabi, Doha, Muscat,
    Kuwait City, Manama, Amman, Beirut, Damascus, Baghdad, Tehran, Isfahan, Shiraz, Karachi, Lahore,
    Islamabad, Kabul, Mumbai, Delhi, Bangalore, Chennai, Kolkata, Hyderabad, Pune, Ahmedabad, Jaipur,
    Kochi, Dhaka, Chittagong, Colombo, Kathmandu, Beijing, Shanghai, Guangzhou, Shenzhen, Chengdu,
    Wuhan, Hangzhou, Nanjing, Tianjin, Chongqing, Hong Kong, Taipei, Kaohsiung, Tokyo, Osaka, Kyoto,
    Yokohama, Nagoya, Sapporo, Fukuoka, Kobe, Hiroshima, Seoul, Busan, Incheon, Daegu, Bangkok,
    Chiang Mai, Hanoi, Ho Chi Minh City, Da Nang, Phnom Penh, Vientiane, Yangon, Kuala Lumpur, Penang,
    Singapore, Jakarta, Surabaya, Bandung, Manila, Cebu, Davao, Melbourne, Brisbane, Perth, Canberra,
    Auckland, Wellington, Christchurch, Honolulu, Anchorage, Havana, Kingston, Santo Domingo,
    Panama City, Guatemala City, Managua, Edmonton, Winnipeg, Halifax, Pittsburgh, Baltimore,
    Minneapolis, Nashville, Memphis, Sacramento, Portland, San Diego, Tucson, Cleveland, Cincinnati""")

COUNTRIES = _lst("""Afghanistan, Albania, Algeria, Argentina, Armenia, Australia, Austria, Azerbaijan,
    Bangladesh, Belarus, Belgium, Bolivia, Bosnia, Brazil, Bulgaria, Cambodia, Cameroon, Canada,
    Chile, China, Colombia, Costa Rica, Croatia, Cuba, Cyprus, Czech Republic, Denmark, Ecuador,
    Egypt, Estonia, Ethiopia, Finland, France, Germany, Ghana, Greece, Guatemala, Hungary, Iceland,
    India, Indonesia, Iran, Iraq, Ireland, Israel, Italy, Jamaica, Japan, Kazakhstan, Kenya, Kuwait,
    Latvia, Lebanon, Libya, Lithuania, Luxembourg, Malaysia, Mali, Mexico, Mongolia, Morocco,
    Mozambique, Myanmar, Nepal, Netherlands, New Zealand, Nigeria, Norway, Oman, Pakistan, Panama,
    Paraguay, Peru, Philippines, Poland, Portugal, Qatar, Romania, Russia, Rwanda, Saudi Arabia,
    Senegal, Serbia, Singapore, Slovakia, Slovenia, Somalia, South Africa, South Korea, Spain,
    Sri Lanka, Sudan, Sweden, Switzerland, Syria, Taiwan, Tanzania, Thailand, Tunisia, Uganda,
    Ukraine, United States, Britain, Uruguay, Uzbekistan, Venezuela, Vietnam, Yemen, Zambia,
    Zimbabwe, England, Scotland, Wales""")

NATIONALITIES = _lst("""Afghan, Albanian, Algerian, Argentine, Armenian, Australian, Austrian,
    Azerbaijani, Bangladeshi, Belarusian, Belgian, Bolivian, Bosnian, Brazilian, Bulgarian,
    Cambodian, Cameroonian, Canadian, Chilean, Chinese, Colombian, Costa Rican, Croatian, Cuban,
    Cypriot, Czech, Danish, Ecuadorian, Egyptian, Estonian, Ethiopian, Finnish, French, German,
    Ghanaian, Greek, Guatemalan, Hungarian, Icelandic, Indian, Indonesian, Iranian, Iraqi, Irish,
    Israeli, Italian, Jamaican, Japanese, Kazakh, Kenyan, Kuwaiti, Latvian, Lebanese, Libyan,
    Lithuanian, Malaysian, Malian, Mexican, Mongolian, Moroccan, Mozambican, Nepalese, Dutch,
    Nigerian, Norwegian, Omani, Pakistani, Panamanian, Paraguayan, Peruvian, Filipino, Polish,
    Portuguese, Qatari, Romanian, Russian, Rwandan, Saudi, Senegalese, Serbian, Singaporean, Slovak,
    Slovenian, Somali, South African, South Korean, Spanish, Sri Lankan, Sudanese, Swedish, Swiss,
    Syrian, Taiwanese, Tanzanian, Thai, Tunisian, Ugandan, Ukrainian, American, British, Uruguayan,
    Uzbek, Venezuelan, Vietnamese, Yemeni, Zambian, Zimbabwean, English, Scottish, Welsh, Jordanian,
    Georgian""")

LANGUAGES = _lst("""Mandarin, Cantonese, Hindi, Bengali, Urdu, Punjabi, Tamil, Telugu, Marathi,
    Swahili, Yoruba, Igbo, Hausa, Amharic, Arabic, Hebrew, Persian, Russian, Polish, Czech,
    Portuguese, Spanish, French, German, Italian, Dutch, Swedish, Norwegian, Danish, Finnish, Greek,
    Turkish, Korean, Japanese, Vietnamese, Thai, Indonesian, Malay, Tagalog, Catalan, Basque, Welsh,
    Gaelic, Zulu, Xhosa, English, Ukrainian, Romanian, Hungarian""")

REGIONS = _lst("""California, Texas, Florida, Ohio, Michigan, Oregon, Nevada, Arizona, Colorado,
    Alaska, New Jersey, New Mexico, North Carolina, South Carolina, West Virginia, Ontario, Quebec,
    British Columbia, Alberta, Manitoba, Nova Scotia, New South Wales, Queensland, Tasmania,
    Western Australia, Bavaria, Saxony, Hesse, Tuscany, Lombardy, Sicily, Sardinia, Piedmont,
    Catalonia, Andalusia, Galicia, Basque Country, Brittany, Normandy, Provence, Burgundy, Alsace,
    Flanders, Wallonia, Yorkshire, Cornwall, Lancashire, Punjab, Kerala, Gujarat, West Bengal,
    Tamil Nadu, Rajasthan, Maharashtra, Sichuan, Yunnan, Guangdong, Hokkaido, Okinawa, Kyushu,
    Siberia, Patagonia, Minas Gerais, Bahia, Chiapas, Yucatan, Oaxaca, Transylvania, Silesia,
    Lapland, Jutland, Tyrol, Dalmatia, Anatolia, Cappadocia, Bohemia, Moravia, Umbria, Calabria""")

# Geographic features: (name, takes "the"). Tagged LOC without the article, as in CoNLL-2003.
GEO = [(n, True) for n in _lst("""Danube, Thames, Seine, Loire, Elbe, Volga, Nile, Zambezi,
    Limpopo, Mississippi, Hudson, Yangtze, Mekong, Ganges, Indus, Euphrates, Tigris, Orinoco, Tagus,
    Douro, Tiber, Vistula, Dnieper, Yukon, Alps, Andes, Himalayas, Pyrenees, Sahara, Carpathians,
    Urals, Rockies, Apennines, Balkans, Caucasus""")] + [(n, False) for n in _lst("""Lake Geneva,
    Lake Baikal, Lake Titicaca, Lake Tanganyika, Lake Como, Mount Kilimanjaro, Mount Everest,
    Mont Blanc, Mount Fuji, Atacama Desert, Kalahari Desert, Gobi Desert, Lake Malawi""")]

RIVERS = set(_lst("""Danube, Thames, Seine, Loire, Elbe, Volga, Nile, Zambezi, Limpopo, Mississippi,
    Hudson, Yangtze, Mekong, Ganges, Indus, Euphrates, Tigris, Orinoco, Tagus, Douro, Tiber,
    Vistula, Dnieper, Yukon"""))

# Invented place names for QA towns (so that no real town gets invented facts).
_TOWN_ROOTS = _lst("""Ash, Brook, Elm, Glen, Holt, Kings, Lang, Mar, Nor, Oak, Red, Stan, Thorn,
    Wick, Alder, Bram, Coldal, Dun, Fern, Gor, Hart, Ivy, Kel, Lind, Mor, Pen, Ross, Sel, Tal, Wes""")
_TOWN_ENDS = _lst("bury, ford, ton, wick, field, ham, mouth, dale, stead, haven, more, bridge")
_TOWN_PATTERNS = (
    [r + e for r in _TOWN_ROOTS for e in _TOWN_ENDS]
    + [p + s for p in _lst("Alten, Ober, Neu, Rosen, Stein, Wald, Linden, Falken")
       for s in _lst("burg, dorf, heim, bach, feld, stadt")]
    + [p + s for p in _lst("Castel, Monte, Villa, Porto, Santa, Borgo")
       for s in _lst("rosso, verde, alto, nuovo, mare, chiaro")]
    + [p + s for p in _lst("Zelen, Bel, Kras, Dobr, Star, Novo, Sosn")
       for s in _lst("ovo, ograd, ice, insk, any")]
)

# ---------------------------------------------------------------------------------------------
# Organisations. Real organisations appear only in neutral NER sentences; companies that get
# invented financial news are invented (brand word + sector).
REAL_ORGS = {
    "intl": _lst("""United Nations, European Union, World Bank, International Monetary Fund,
        World Health Organization, NATO, OPEC, UNESCO, UNICEF, Red Cross, Amnesty International,
        Greenpeace, FIFA, UEFA, International Olympic Committee, African Union, Interpol, Europol,
        NASA, European Space Agency, Supreme Court, Senate, Federal Reserve,
        European Central Bank, Bank of England, Bank of Japan, Bundesbank"""),
    "media": _lst("""Reuters, Associated Press, BBC, CNN, Al Jazeera, Financial Times,
        New York Times, Le Monde, Der Spiegel, Xinhua, Kyodo"""),
    "company": _lst("""Bank of Montreal, Deutsche Bank, HSBC, Barclays, Goldman Sachs, Toyota,
        Honda, Volkswagen, Siemens, Nestle, Unilever, Samsung, Sony, Microsoft, Boeing, Airbus,
        Gazprom, Tata Motors, Infosys, Alibaba, Tencent, Huawei, Nokia, Ericsson, Philips, Renault,
        Fiat, Lufthansa, Qantas, Air France, British Airways, Nasdaq, London Stock Exchange,
        Tokyo Stock Exchange"""),
    "uni": _lst("""Stanford University, Harvard University, MIT, Oxford University,
        University of Cambridge, Sorbonne, ETH Zurich, University of Tokyo, Peking University,
        Tsinghua University, Seoul National University, University of Lagos,
        University of Cape Town, McGill University, University of Toronto,
        Indian Institute of Technology"""),
    "club": _lst("""Real Madrid, Manchester United, Bayern Munich, Juventus, Ajax, Boca Juniors,
        Flamengo, Al Ahly, Galatasaray, Benfica"""),
}

# The last word of an invented company's name ("Velora Foods").
COMPANY_SUFFIXES = _lst("""Systems, Foods, Pharma, Energy, Holdings, Group, Technologies, Motors,
    Logistics, Capital, Airlines, Mining, Telecom, Retail, Insurance, Labs, Robotics, Media, Steel,
    Semiconductors, Chemicals, Shipping""")

# Invented brand words (companies, products, apps): syllable pairs.
_BRAND_HEADS = _lst("""Nor, Vel, Quan, Zen, Lum, Ost, Brev, Cal, Dra, Fen, Hal, Kest, Mer, Orv,
    Pel, Sol, Tess, Vir, Zar, Alt, Bel, Cor, Dex, Ev, Gryph, Ix, Jov, Lyr, Nex, Tav""")
_BRAND_TAILS = _lst("vex, tara, ora, ion, ium, ant, ix, ano, era, ova, ris, alis, entra, ivo, ona")
BRANDS = [h + t for h in _BRAND_HEADS for t in _BRAND_TAILS]

PRODUCT_MODELS = _lst("X2, X5, Pro, Air, Max, Mini, One, S7, 300, Lite, Ultra, Go, Neo, Edge, Flex")

# Works (films, novels, albums): "The {adjective} {noun}".
_TITLE_ADJ = _lst("""Silent, Broken, Last, Hidden, Golden, Quiet, Long, Burning, Distant, Frozen,
    Lost, Narrow, Northern, Crimson, Empty, Endless, Wild, Glass, Iron, Paper, Salt, Second, Secret,
    Winter, Summer, Hollow, Bright, Falling, Patient, Borrowed""")
_TITLE_NOUN = _lst("""Harbour, River, Garden, Season, Orchard, Witness, Lighthouse, Kingdom, Letter,
    Bridge, Crossing, Island, Archive, Museum, Road, Tide, Shore, Window, Promise, Journey,
    Frontier, Station, Forest, Inheritance, Orchestra, Map, Mirror, Lantern, Valley, Horizon""")
WORKS = [f"The {a} {n}" for a in _TITLE_ADJ for n in _TITLE_NOUN]

REAL_EVENTS = _lst("""World Cup, Olympic Games, Winter Olympics, Tour de France, Super Bowl,
    Champions League, Europa League, Copa America, Africa Cup of Nations, Asian Games,
    Commonwealth Games, Ryder Cup, Davis Cup, Eurovision Song Contest, Cannes Film Festival,
    Venice Film Festival, Rugby World Cup, Cricket World Cup, Australian Open, French Open,
    Giro d'Italia, Paralympic Games, Grand National, Six Nations, Golden Globe Awards""")

# Deliberately ambiguous words, shared by every split: which roles each one can take.
AMBIGUOUS = {
    "Jordan": {"first": "m", "last": True, "loc": True},
    "Washington": {"last": True, "loc": True, "orgs": ["Washington Post", "Washington Nationals"]},
    "Georgia": {"first": "f", "loc": True},
    "Paris": {"first": "f", "loc": True},
    "Victoria": {"first": "f", "loc": True},
    "Florence": {"first": "f", "loc": True},
    "Sydney": {"first": "f", "loc": True, "orgs": ["Sydney FC"]},
    "Austin": {"first": "m", "loc": True},
    "Lincoln": {"first": "m", "last": True, "loc": True, "orgs": ["Lincoln City"]},
    "Madison": {"first": "f", "loc": True},
    "Jackson": {"last": True, "loc": True},
    "Charlotte": {"first": "f", "loc": True},
    "Chelsea": {"first": "f", "orgs": ["Chelsea"]},
    "Santiago": {"first": "m", "loc": True},
    "Houston": {"last": True, "loc": True, "orgs": ["Houston Rockets"]},
    "Adelaide": {"first": "f", "loc": True, "orgs": ["Adelaide United"]},
}
# Entity strings that may appear in more than one split (everything else is held out).
SHARED = sorted(set(AMBIGUOUS) | {o for v in AMBIGUOUS.values() for o in v.get("orgs", [])})


# ---------------------------------------------------------------------------------------------
# The split itself.
def _registry():
    """Every listed name by kind, before splitting: {kind: [name, ...]} (order kept)."""
    first = [n for f, m in FIRST_NAMES.values() for n in f + m]
    last = [n for names in LAST_NAMES.values() for n in names]
    return {
        "first_name": first, "last_name": last, "city": CITIES, "country": COUNTRIES,
        "nationality": NATIONALITIES, "language": LANGUAGES, "region": REGIONS,
        "geo": [n for n, _ in GEO], "town": _TOWN_PATTERNS,
        "org": [o for kind in REAL_ORGS.values() for o in kind], "brand": BRANDS,
        "work": WORKS, "event": REAL_EVENTS,
    }


def _assign_splits(registry):
    """Map every name to its split (or None when it is dropped), following `split_of` and the
    rule that a name containing other names goes with them.

    Names are visited from the shortest (in words) up, so that the parts of a name are settled
    before the name itself; a part that is a SHARED word does not count.
    """
    names = sorted({n for ns in registry.values() for n in ns}, key=lambda n: (len(n.split()), n))
    owner = {}
    for name in names:
        words = name.split()
        parts = {" ".join(words[i:j]) for i in range(len(words))
                 for j in range(i + 1, len(words) + 1) if (i, j) != (0, len(words))}
        found = sorted({owner[p] for p in parts if p in owner and p not in SHARED} - {None})
        owner[name] = found[0] if len(found) == 1 else (split_of(name) if not found else None)
    return owner


@dataclass
class Pools:
    """The names that one split may use, by kind (each list in a fixed order)."""
    split: str
    first: dict        # culture -> {"f": [...], "m": [...]}
    last: dict         # culture -> [...]
    cities: list
    countries: list
    nationalities: list
    languages: list
    regions: list
    geo: list          # [(name, takes_article)]
    towns: list
    orgs: dict         # kind -> real organisations ("intl", "media", "company", "uni", "club")
    brands: list
    works: list
    events: list

    @property
    def rivers(self):
        """The split's rivers (names without "the")."""
        return [n for n, _ in self.geo if n in RIVERS]

    @property
    def surnames(self):
        """All surnames of the split, in a fixed order."""
        return sorted({n for ns in self.last.values() for n in ns})

    def held_out(self):
        """{kind: [names]} of this split's own (non-shared) names, for the data card and tests."""
        return {
            "first_name": sorted({n for d in self.first.values() for g in d.values() for n in g}),
            "last_name": self.surnames,
            "city": self.cities, "country": self.countries, "nationality": self.nationalities,
            "language": self.languages, "region": self.regions, "geo": [n for n, _ in self.geo],
            "town": self.towns, "org": sorted(o for os_ in self.orgs.values() for o in os_),
            "brand": self.brands, "work": self.works,
            "event": self.events,
        }


def build_pools():
    """{split: Pools}: each split's part of every name list."""
    owner = _assign_splits(_registry())
    pools = {}
    for split in SPLITS:
        def keep(names):
            return [n for n in names if owner[n] == split]
        first = {c: {"f": keep(f), "m": keep(m)} for c, (f, m) in FIRST_NAMES.items()}
        last = {c: keep(ns) for c, ns in LAST_NAMES.items()}
        # a culture needs both first and last names in a split to make people of it there
        cultures = [c for c in FIRST_NAMES if first[c]["f"] and first[c]["m"] and last[c]]
        pools[split] = Pools(
            split=split,
            first={c: first[c] for c in cultures}, last={c: last[c] for c in cultures},
            cities=keep(CITIES), countries=keep(COUNTRIES), nationalities=keep(NATIONALITIES),
            languages=keep(LANGUAGES), regions=keep(REGIONS),
            geo=[(n, a) for n, a in GEO if owner[n] == split], towns=keep(_TOWN_PATTERNS),
            orgs={k: keep(v) for k, v in REAL_ORGS.items()}, brands=keep(BRANDS),
            works=keep(WORKS),
            events=keep(REAL_EVENTS),
        )
    return pools


def make_company(rng: random.Random, pools: Pools) -> str:
    """An invented company of the split: a brand word and a sector word ("Velora Foods")."""
    return f"{rng.choice(pools.brands)} {rng.choice(COMPANY_SUFFIXES)}"


# ---------------------------------------------------------------------------------------------
# People.
@dataclass
class Person:
    first: str
    last: str
    full: str
    gender: str      # "f" or "m", for pronouns
    culture: str = "english"

    @property
    def he(self):
        return "she" if self.gender == "f" else "he"

    @property
    def his(self):
        return "her" if self.gender == "f" else "his"

    @property
    def him(self):
        return "her" if self.gender == "f" else "him"


def _female_surname(culture, last):
    """Surnames that change with gender in Russian, Polish and Greek."""
    if culture == "russian" and last.endswith(("ov", "ev", "in")):
        return last + "a"
    if culture == "polish" and last.endswith(("ski", "cki")):
        return last[:-1] + "a"
    if culture == "greek":
        if last.endswith("os"):
            return last[:-2] + "ou"
        if last.endswith("akis"):
            return last[:-1]
        if last.endswith("idis"):
            return last[:-2] + "ou"
    return last


def make_person(rng: random.Random, pools: Pools, gender=None, ambiguous=0.0) -> Person:
    """A random person of a random culture; with probability `ambiguous` the first or last name
    is one of the shared ambiguous words (Jordan, Washington, ...)."""
    culture = rng.choice(sorted(pools.first))
    gender = gender or rng.choice("fm")
    first = rng.choice(pools.first[culture][gender])
    last = _female_surname(culture, rng.choice(pools.last[culture])) if gender == "f" else \
        rng.choice(pools.last[culture])
    if ambiguous and rng.random() < ambiguous:
        if rng.random() < 0.6:
            options = [w for w, r in AMBIGUOUS.items() if r.get("first") == gender]
            first = rng.choice(options) if options else first
        else:
            last = rng.choice([w for w, r in AMBIGUOUS.items() if r.get("last")])
        culture = "english"
    if culture in SURNAME_FIRST and rng.random() < SURNAME_FIRST[culture]:
        full = f"{last} {first}"
    elif culture == "spanish" and rng.random() < 0.25:
        full = f"{first} {last} {rng.choice(pools.last['spanish'])}"
    elif culture == "brazilian" and rng.random() < 0.2:
        full = f"{first} {rng.choice(['da', 'dos', 'de'])} {last}"
    else:
        full = f"{first} {last}"
    return Person(first=first, last=last, full=full, gender=gender, culture=culture)
